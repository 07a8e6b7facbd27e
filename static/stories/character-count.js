/*
 * The admin's text inputs with a limit (stories/admin/forms.py, CountedTextInput):
 * "143 of 200 characters", or "230 of 200 characters: 30 too many", as the editor types
 * or pastes. The input has no maxlength, so a pasted text is never cut short unseen; the
 * form refuses a text over the limit at the field and keeps it. A static file, as the
 * admin's Content-Security-Policy allows no inline script.
 */
(function () {
  "use strict";

  function count(input) {
    var limit = parseInt(input.getAttribute("data-character-limit"), 10);
    var output = document.createElement("span");
    output.className = "character-count";
    output.id = input.id + "-character-count";
    output.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", output);
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (described ? described + " " : "") + output.id);

    function update() {
      // Characters as the server counts them (code points, not UTF-16 units).
      var used = Array.from(input.value).length;
      var over = used - limit;
      output.textContent = used + " of " + limit + " characters" +
        (over > 0 ? ": " + over + " too many" : "");
      output.classList.toggle("is-over", over > 0);
    }

    input.addEventListener("input", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-character-limit]"), count);
  });
})();
