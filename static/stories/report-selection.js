/*
 * "Report an error": if the reader selected text in the story before following the
 * link, carry it to the form as the passage (?passage=...). Progressive enhancement:
 * without this script the link opens the same form with the passage empty. A static
 * file, not an inline script, so a Content-Security-Policy can forbid inline scripts.
 */
(function () {
  "use strict";
  var MAX_LENGTH = 1000;

  function selectedText() {
    var selection = window.getSelection ? window.getSelection() : null;
    if (!selection || selection.isCollapsed) {
      return "";
    }
    return selection.toString().replace(/\s+/g, " ").trim().slice(0, MAX_LENGTH);
  }

  function withPassage(link) {
    var passage = selectedText();
    if (!passage) {
      return;
    }
    var url = new URL(link.href, window.location.href);
    url.searchParams.set("passage", passage);
    link.href = url.toString();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var links = document.querySelectorAll("a[data-report-error]");
    Array.prototype.forEach.call(links, function (link) {
      // mousedown comes before the click clears the selection; focus covers keyboards.
      link.addEventListener("mousedown", function () { withPassage(link); });
      link.addEventListener("focus", function () { withPassage(link); });
      link.addEventListener("click", function () { withPassage(link); });
    });
  });
})();
