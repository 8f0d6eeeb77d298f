// A measure's value form (strategy/_measure_outcome.html): choosing another period fills the
// value and comment with those recorded for it (its option's data-value and data-comment), or
// empties them, and notes in comment_for that the comment shown is that period's, so that the
// server takes an emptied comment as removed. Without this script the form still works: the
// comment shown is the first period's, and an empty comment for another period keeps its own.
// An external file, not an inline handler: the pages run under a strict CSP.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var select = event.target;
    var form = select.form;
    if (!form || !form.hasAttribute("data-measure-value") || !/-period$/.test(select.name)) {
      return;
    }
    var prefix = select.name.slice(0, -"period".length);
    var option = select.options[select.selectedIndex];
    var value = form.elements[prefix + "value"];
    var comment = form.elements[prefix + "comment"];
    var shownFor = form.elements[prefix + "comment_for"];
    value.value = option.getAttribute("data-value") || "";
    comment.value = option.getAttribute("data-comment") || "";
    shownFor.value = option.value;
  });
})();
