// The check form autosaves with htmx on every change, and each answer brings the version the
// next save must send. Pressing "Save draft" or "Submit check" while an autosave is on its way
// (leaving a text field autosaves it) would post the version from before that autosave, which
// the server refuses as stale: wait for the autosave's answer, then send the form.
(function () {
  "use strict";
  var form = document.getElementById("check-form");
  if (!form) {
    return;
  }
  var inFlight = 0;
  var waiting = null; // the button pressed while an autosave was on its way

  form.addEventListener("htmx:beforeSend", function () {
    inFlight += 1;
  });
  form.addEventListener("htmx:afterRequest", function () {
    inFlight = Math.max(0, inFlight - 1);
    if (inFlight === 0 && waiting) {
      var button = waiting;
      waiting = null;
      if (form.requestSubmit) {
        form.requestSubmit(button);
      } else {
        button.click();
      }
    }
  });
  form.addEventListener("submit", function (event) {
    if (inFlight > 0) {
      event.preventDefault();
      waiting = event.submitter || form.querySelector("button[type=submit]");
    }
  });
})();
