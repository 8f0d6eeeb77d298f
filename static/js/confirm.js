// Ask before an irreversible action. A form, or the button that submits it, carrying
// data-confirm="question" is sent only when the person confirms; dismissing the dialog sends
// nothing. An external file, not an inline handler: the pages run under a strict CSP.
(function () {
  "use strict";

  // The capture phase runs before any handler on the form itself (htmx's included), so a
  // dismissed dialog stops htmx requests as well as ordinary submissions.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      var button = event.submitter;
      var question =
        (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );
})();
