/* The desk on a story's change form: presence, autosave, comments beside their fields.
   Plain script, no framework; every request carries the CSRF token and the server
   checks permissions as for any admin view. */
(function () {
  "use strict";
  var status = document.getElementById("desk-status");
  if (!status) { return; }
  var form = document.getElementById("story_form");
  var csrf = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  var FIELDS = ["headline", "slug", "dek", "dateline", "body", "image_alt", "image_caption", "change_reason"];

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(data || {})
    }).then(function (response) { return response.json(); });
  }

  /* Presence: a beat every few seconds; others are named, with the time they started. */
  var presence = document.getElementById("desk-presence");
  function beat() {
    post(status.dataset.presenceUrl).then(function (answer) {
      var others = answer.others || [];
      presence.hidden = others.length === 0;
      presence.textContent = others.map(function (p) { return p.text; }).join("; ") +
        (others.length ? ". This is advice, not a lock: if you both save, the second save is refused and keeps its text." : "");
    }).catch(function () { /* advice only: a missed beat is retried */ });
  }
  beat();
  window.setInterval(beat, 1000 * Number(status.dataset.beatSeconds || 15));

  /* Autosave: the fields, when they differ from the last copy kept, every 20 seconds. */
  function values() {
    var result = {};
    FIELDS.forEach(function (name) {
      var input = document.getElementById("id_" + name);
      if (input && !input.disabled) { result[name] = input.value; }
    });
    return result;
  }
  var kept = JSON.stringify(values());
  var note = document.getElementById("desk-autosave-status");
  function autosave() {
    var current = values();
    var text = JSON.stringify(current);
    if (text === kept) { return Promise.resolve(null); }
    return post(status.dataset.autosaveUrl, { fields: current, based_on_edit: Number(status.dataset.edit) })
      .then(function (answer) {
        if (answer.saved) {
          kept = text;
          note.textContent = "Your unsaved changes are kept (last at " + answer.saved + "): reopen the story to restore them.";
        }
        return answer;
      });
  }
  window.setInterval(autosave, 1000 * Number(status.dataset.autosaveSeconds || 20));
  window.addEventListener("pagehide", function () { if (!submitting) { autosave(); } });
  var submitting = false;
  if (form) { form.addEventListener("submit", function () { submitting = true; }); }
  window.newsroomDesk = { autosaveNow: autosave, beatNow: beat };

  var restore = document.getElementById("desk-autosave-restore");
  if (restore) {
    restore.addEventListener("click", function () {
      var data = JSON.parse(document.getElementById("desk-autosave-data").textContent);
      Object.keys(data).forEach(function (name) {
        var input = document.getElementById("id_" + name);
        if (input && !input.disabled) { input.value = data[name]; }
      });
      kept = JSON.stringify(values());
      restore.parentNode.querySelector("p").textContent = "Restored: your unsaved changes are back in the form. Save to keep them.";
      restore.hidden = true;
    });
  }

  /* The credits table (a tabular inline) names its columns in headers that screen
     readers do not tie to each row's inputs, and select2 draws its own combobox: give
     each input the name of its column (axe: label, select-name, aria-input-field-name). */
  function nameInlineInputs() {
    document.querySelectorAll(".tabular td :is(input, select, textarea), .tabular .select2-selection[role=combobox], .tabular .select2-selection__rendered[role=textbox]").forEach(function (input) {
      if (input.type === "hidden" || input.getAttribute("aria-label")) { return; }
      var cell = input.closest("td");
      var column = (cell.className.match(/field-([\w-]+)/) || [])[1];
      var header = column && input.closest("table").querySelector("th.column-" + column);
      var name = header ? header.textContent.trim() : (cell.classList.contains("delete") ? "Delete" : "");
      if (!name) { return; }
      input.setAttribute("aria-label", name);
      /* An empty box's own "labelled by" points at nothing to read: the column's name does. */
      var labelledBy = document.getElementById(input.getAttribute("aria-labelledby") || "");
      if (labelledBy && !labelledBy.textContent.trim()) { input.removeAttribute("aria-labelledby"); }
    });
  }
  nameInlineInputs();
  /* select2 draws its boxes when jQuery is ready, which may come after this script. */
  document.querySelectorAll(".tabular").forEach(function (table) {
    new MutationObserver(nameInlineInputs).observe(table, { childList: true, subtree: true });
  });

  /* Comments beside the fields they anchor to. */
  document.querySelectorAll(".desk-thread[data-field]").forEach(function (thread) {
    var row = document.querySelector(".form-row.field-" + thread.dataset.field);
    if (row) { row.appendChild(thread); }
  });

  /* "Comment on the selection": the field, the words and where they start. */
  var use = document.getElementById("desk-use-selection");
  var chosen = null;
  ["headline", "dek", "body", "image_alt", "image_caption"].forEach(function (name) {
    var input = document.getElementById("id_" + name);
    if (!input) { return; }
    ["select", "mouseup", "keyup"].forEach(function (event) {
      input.addEventListener(event, function () {
        if (input.selectionEnd > input.selectionStart) {
          chosen = { field: name, start: input.selectionStart,
                     quote: input.value.slice(input.selectionStart, input.selectionEnd) };
          use.hidden = false;
        }
      });
    });
  });
  if (use) {
    use.addEventListener("click", function () {
      if (!chosen) { return; }
      document.getElementById("id_comment_field").value = chosen.field;
      document.getElementById("id_comment_quote").value = chosen.quote;
      document.getElementById("id_comment_position").value = chosen.start;
      document.getElementById("id_comment_body").focus();
    });
  }
})();
