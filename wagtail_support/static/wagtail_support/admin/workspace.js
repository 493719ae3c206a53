/*
 * wagtail-support: the ticket workspace in the Wagtail admin. No dependency, no build step.
 *
 * Everything here is an enhancement; without it the page works the same:
 * 1. "Insert" a saved reply puts its text (already filled in for this ticket by the server, in the
 *    #wsw-canned-texts JSON element) at the cursor of the composer, instead of reloading the page with
 *    ?canned=<id>.
 * 2. Pointing at or focusing "Send reply to requester" or "Add internal note" tints the composer in that
 *    mode's colour, so the agent sees which way the text is about to go.
 * 3. "Abandon the ticket…" opens Wagtail's confirmation dialog instead of the confirmation page.
 */
(function () {
  "use strict";

  function cannedTexts() {
    var element = document.getElementById("wsw-canned-texts");
    if (!element) {
      return {};
    }
    try {
      return JSON.parse(element.textContent) || {};
    } catch (error) {
      return {};
    }
  }

  function insertAtCursor(textarea, text) {
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    var value = textarea.value;
    if (typeof start !== "number") {
      start = end = value.length;
    }
    var before = value.slice(0, start);
    var after = value.slice(end);
    // Keep the saved text on its own lines when it goes in the middle of a draft.
    if (before && !/\n$/.test(before)) {
      text = "\n" + text;
    }
    if (after && !/^\n/.test(after)) {
      text = text + "\n";
    }
    textarea.value = before + text + after;
    var caret = before.length + text.length;
    textarea.focus();
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function setUpCanned(composer) {
    var button = document.querySelector("[data-wsw-canned-insert]");
    var select = document.querySelector("[data-wsw-canned-select]");
    var textarea = composer.querySelector("[data-wsw-composer-body]");
    if (!button || !select || !textarea) {
      return;
    }
    var texts = cannedTexts();
    button.addEventListener("click", function (event) {
      var text = texts[select.value];
      if (typeof text !== "string") {
        return; // Unknown here: let the form ask the server.
      }
      event.preventDefault();
      insertAtCursor(textarea, text);
    });
  }

  function setUpIntent(composer) {
    var buttons = composer.querySelectorAll("[data-wsw-send]");
    Array.prototype.forEach.call(buttons, function (button) {
      var intent = button.getAttribute("data-wsw-send");
      function show() {
        composer.setAttribute("data-wsw-intent", intent);
      }
      function hide() {
        if (composer.getAttribute("data-wsw-intent") === intent) {
          composer.removeAttribute("data-wsw-intent");
        }
      }
      button.addEventListener("mouseenter", show);
      button.addEventListener("focus", show);
      button.addEventListener("mouseleave", hide);
      button.addEventListener("blur", hide);
    });
  }

  function setUpAbandon() {
    var toggle = document.querySelector("[data-wsw-abandon-toggle]");
    if (!toggle) {
      return;
    }
    // The button's own form asks for a confirmation page. Once Wagtail has set up the dialog (it opens
    // it from the button's data-a11y-dialog-show attribute), the dialog asks instead.
    toggle.addEventListener("click", function (event) {
      if (document.getElementById("wsw-abandon-dialog")) {
        event.preventDefault();
      }
    });
  }

  function init() {
    var composer = document.querySelector("[data-wsw-composer]");
    if (composer) {
      setUpCanned(composer);
      setUpIntent(composer);
    }
    setUpAbandon();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
