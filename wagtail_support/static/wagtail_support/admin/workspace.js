/*
 * wagtail-support: the ticket workspace in the Wagtail admin. No dependency, no build step.
 *
 * Everything here is an enhancement; without it the page works the same:
 * 1. "Insert" a saved reply puts its text (already filled in for this ticket by the server, in the
 *    #wsw-canned-texts JSON element) at the cursor of the composer, instead of reloading the page with
 *    ?canned=<id>.
 *    A saved reply that is also a macro (#wsw-canned-actions) fills the one form's own fields as well
 *    (priority, type, team, assignee; the resolution code and the solution for a reply that resolves),
 *    marks the "Submit as" button it chooses and says what it will do under the composer. Nothing is sent:
 *    the agent changes any of it and sends with the usual submit (one workflow move, checked by the server).
 * 2. "Abandon the ticket…" opens Wagtail's confirmation dialog instead of the confirmation page.
 * 3. Two Stimulus controllers, registered with Wagtail's own application (window.wagtail.app):
 *    - wsw-composer (the one form): the "Send as" switch tints the composer and changes its label at
 *      once; the text and mode are saved on the server as the agent's draft about a second after they
 *      stop typing, and when the tab is hidden or closed (fetch with keepalive); "Cancel" discards the
 *      draft in place; "Resolve…" shows the resolution fields; another form of the page (abandon,
 *      requester, assign to me) waits for the draft to be saved before it is sent; after sending, the
 *      new message is scrolled into view with its confirmation beside it.
 *    - wsw-presence: every ~10 s while the tab is visible, tells the server this agent is viewing (or
 *      replying, when the composer holds text) and shows who else is ("Sophie is replying").
 */
(function () {
  "use strict";

  function jsonData(id) {
    var element = document.getElementById(id);
    if (!element) {
      return {};
    }
    try {
      return JSON.parse(element.textContent) || {};
    } catch (error) {
      return {};
    }
  }

  function cannedTexts() {
    return jsonData("wsw-canned-texts");
  }

  // The one form's property fields sit outside the <form> element (HTML's form attribute).
  function formField(composer, name) {
    return composer.querySelector("[name=" + name + "]") ||
      document.querySelector("[name=" + name + "][form=" + composer.id + "]");
  }

  function setSelect(select, value, label) {
    if (!select) {
      return false;
    }
    value = String(value);
    var found = Array.prototype.some.call(select.options, function (option) {
      return option.value === value;
    });
    if (!found) {
      if (!label) {
        return false;
      }
      // An assignee of the team the reply moves the ticket to: offered here; the server decides on sending.
      var option = document.createElement("option");
      option.value = value;
      option.textContent = label;
      select.appendChild(option);
    }
    select.value = value;
    select.classList.add("wsw-macro-set");
    select.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  function chooseThen(composer, then) {
    var buttons = composer.querySelectorAll(".wsw-submit [data-wsw-then]");
    var chosen = null;
    Array.prototype.forEach.call(buttons, function (button) {
      button.classList.remove("wsw-macro-set");
      button.removeAttribute("aria-describedby");
      if (button.getAttribute("data-wsw-then") === then) {
        chosen = button;
      }
    });
    if (chosen) {
      // The chosen status becomes the primary button, described by the sentence that says why.
      Array.prototype.forEach.call(buttons, function (button) {
        button.classList.toggle("button-secondary", button !== chosen);
      });
      chosen.classList.add("wsw-macro-set");
      chosen.setAttribute("aria-describedby", "wsw-canned-preview");
    }
  }

  function openResolve(composer) {
    var section = composer.querySelector("[data-wsw-resolve]");
    var toggle = composer.querySelector("[data-wsw-resolve-toggle]");
    if (section) {
      section.hidden = false;
    }
    if (toggle) {
      toggle.setAttribute("aria-expanded", "true");
    }
    return section;
  }

  // A macro's actions: the form's fields filled in, the status button chosen, and the sentence shown.
  function applyActions(composer, actions, text, textarea) {
    ["priority", "kind", "team"].forEach(function (name) {
      if (actions[name] !== undefined) {
        setSelect(formField(composer, name), actions[name]);
      }
    });
    if (actions.assignee !== undefined) {
      setSelect(formField(composer, "assignee"), actions.assignee, actions.assignee_label);
    }
    if (actions.then === "resolve") {
      var section = openResolve(composer);
      setSelect(formField(composer, "code"), actions.code);
      var solution = section && section.querySelector("textarea[name=solution]");
      if (solution) {
        // The reply is the solution: the requester receives it by email with the resolution.
        insertAtCursor(solution, text);
        solution.classList.add("wsw-macro-set");
      } else {
        insertAtCursor(textarea, text);
      }
      var resolveButton = section && section.querySelector("[data-wsw-then=resolve]");
      if (resolveButton) {
        resolveButton.classList.add("wsw-macro-set");
        resolveButton.setAttribute("aria-describedby", "wsw-canned-preview");
      }
    } else {
      insertAtCursor(textarea, text);
      if (actions.then) {
        chooseThen(composer, actions.then);
      }
    }
    var preview = document.querySelector("[data-wsw-canned-preview]");
    if (preview) {
      preview.textContent = actions.preview || "";
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
    var allActions = jsonData("wsw-canned-actions");
    button.addEventListener("click", function (event) {
      var text = texts[select.value];
      if (typeof text !== "string") {
        return; // Unknown here: let the form ask the server.
      }
      event.preventDefault();
      var actions = allActions[select.value];
      if (actions) {
        applyActions(composer, actions, text, textarea);
      } else {
        insertAtCursor(textarea, text);
      }
    });
    // A field the agent changes afterwards is theirs again.
    document.addEventListener("change", function (event) {
      if (event.isTrusted && event.target.classList) {
        event.target.classList.remove("wsw-macro-set");
      }
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
    }
    setUpAbandon();
    var place = takePlace();
    if (!showSentMessage() && place) {
      restorePlace(place);
    }
    registerControllers();
    document.addEventListener("submit", rememberPlace);
  }

  // A side action (assign to me, requester and beneficiary, reopen...) reloads the page: it comes back
  // where the agent was, with the focus on the control they used, instead of at the top.
  var PLACE_KEY = "wagtail_support:workspace-place";

  // Wagtail's admin scrolls its <main id="main"> rather than the window.
  function scroller() {
    var main = document.getElementById("main");
    return main && main.scrollHeight > main.clientHeight ? main : document.scrollingElement || document.documentElement;
  }

  function rememberPlace(event) {
    var form = event.target;
    if (event.defaultPrevented || (form.getAttribute("method") || "get").toLowerCase() !== "post") {
      return;
    }
    var submitter = event.submitter;
    try {
      window.sessionStorage.setItem(PLACE_KEY, JSON.stringify({
        path: window.location.pathname,
        y: scroller().scrollTop,
        action: form.getAttribute("action") || "",
        name: submitter && submitter.name ? submitter.name : "",
        value: submitter && submitter.value ? submitter.value : "",
        at: Date.now(),
      }));
    } catch (error) {
      // Private mode or storage full: the page simply opens at the top.
    }
  }

  function takePlace() {
    var place = null;
    try {
      place = JSON.parse(window.sessionStorage.getItem(PLACE_KEY) || "null");
      window.sessionStorage.removeItem(PLACE_KEY);
    } catch (error) {
      return null;
    }
    if (!place || place.path !== window.location.pathname || Date.now() - place.at > 60000) {
      return null;
    }
    return place;
  }

  function restorePlace(place) {
    // Again once everything is laid out (pictures, Wagtail's own scripts): the page may still grow.
    scroller().scrollTop = place.y;
    window.addEventListener("load", function () {
      window.requestAnimationFrame(function () {
        scroller().scrollTop = place.y;
      });
    });
    var target = null;
    Array.prototype.forEach.call(document.querySelectorAll("form[method=post], form[method=POST]"), function (form) {
      if (target || (form.getAttribute("action") || "") !== place.action) {
        return;
      }
      var controls = form.querySelectorAll("button, input[type=submit]");
      Array.prototype.forEach.call(controls, function (control) {
        if (!target && control.name === place.name && control.value === place.value) {
          target = control;
        }
      });
      target = target || form.querySelector("button, input:not([type=hidden]), select, textarea");
    });
    if (target) {
      target.focus({ preventScroll: true });
    }
  }

  // After sending: the page comes back at #message-<id>; the new message is scrolled into view, focused,
  // and Wagtail's confirmation is repeated beside it (the original stays at the top for screen readers).
  function showSentMessage() {
    var match = /^#message-(\d+)$/.exec(window.location.hash);
    if (!match) {
      return false;
    }
    var message = document.getElementById("message-" + match[1]);
    if (!message) {
      return false;
    }
    var confirmation = document.querySelector(".messages .success");
    if (confirmation) {
      var note = document.createElement("p");
      note.className = "wsw-sent";
      note.setAttribute("data-wsw-sent", "");
      note.textContent = confirmation.textContent.trim();
      message.appendChild(note);
    }
    message.setAttribute("tabindex", "-1");
    message.classList.add("wsw-message--just-sent");
    message.scrollIntoView({ block: "center" });
    message.focus({ preventScroll: true });
    return true;
  }

  function csrfToken(root) {
    var input = (root || document).querySelector("input[name=csrfmiddlewaretoken]") ||
      document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, fields, keepalive) {
    var body = new FormData();
    Object.keys(fields).forEach(function (name) {
      body.append(name, fields[name]);
    });
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: { "X-Requested-With": "fetch", Accept: "application/json", "X-CSRFToken": fields.csrfmiddlewaretoken || "" },
    });
  }

  var SAVE_DELAY_MS = 1000;

  function registerControllers() {
    var app = window.wagtail && window.wagtail.app;
    var Stimulus = window.StimulusModule;
    if (!app || !Stimulus) {
      return;
    }

    class ComposerController extends Stimulus.Controller {
      static values = { draftUrl: String };

      connect() {
        var form = this.element;
        this.body = form.querySelector("[data-wsw-composer-body]");
        this.status = form.querySelector("[data-wsw-draft-status]");
        this.saved = this.snapshot();
        this.timer = null;
        this.saving = null;
        this.onInput = this.scheduleSave.bind(this);
        this.onMode = this.modeChanged.bind(this);
        this.onHide = this.flush.bind(this);
        this.onVisibility = function () {
          if (document.visibilityState === "hidden") {
            this.flush();
          }
        }.bind(this);
        this.onOtherSubmit = this.otherSubmit.bind(this);
        this.onClick = this.click.bind(this);
        this.onSubmit = this.submit.bind(this);
        if (this.body) {
          this.body.addEventListener("input", this.onInput);
        }
        form.addEventListener("change", this.onMode);
        form.addEventListener("click", this.onClick);
        form.addEventListener("submit", this.onSubmit);
        document.addEventListener("visibilitychange", this.onVisibility);
        window.addEventListener("pagehide", this.onHide);
        window.addEventListener("beforeunload", this.onHide);
        document.addEventListener("submit", this.onOtherSubmit, true);
        this.modeChanged();
      }

      disconnect() {
        document.removeEventListener("visibilitychange", this.onVisibility);
        window.removeEventListener("pagehide", this.onHide);
        window.removeEventListener("beforeunload", this.onHide);
        document.removeEventListener("submit", this.onOtherSubmit, true);
      }

      mode() {
        var checked = this.element.querySelector("input[name=mode]:checked");
        return checked ? checked.value : "public";
      }

      snapshot() {
        return (this.body ? this.body.value : "") + "\u0000" + this.mode();
      }

      hasText() {
        return !!(this.body && this.body.value.trim());
      }

      modeChanged(event) {
        // The tint and the label follow the switch at once, before anything is saved.
        this.element.setAttribute("data-wsw-mode", this.mode() === "internal" ? "internal" : "public");
        if (event && event.target && event.target.name === "mode") {
          this.scheduleSave();
        }
      }

      scheduleSave() {
        window.clearTimeout(this.timer);
        this.timer = window.setTimeout(this.save.bind(this, false), SAVE_DELAY_MS);
        document.dispatchEvent(new CustomEvent("wsw:composer", { detail: { replying: this.hasText() } }));
      }

      dirty() {
        return this.snapshot() !== this.saved;
      }

      save(keepalive) {
        window.clearTimeout(this.timer);
        this.timer = null;
        if (!this.dirty() || !this.draftUrlValue) {
          return this.saving || Promise.resolve();
        }
        var state = this.snapshot();
        var fields = {
          csrfmiddlewaretoken: csrfToken(this.element),
          body: this.body ? this.body.value : "",
          mode: this.mode(),
        };
        var self = this;
        this.saving = post(this.draftUrlValue, fields, keepalive)
          .then(function (response) {
            if (!response.ok) {
              throw new Error(String(response.status));
            }
            self.saved = state;
            self.say(self.element.getAttribute("data-wsw-saved-text") || "Draft saved.");
          })
          .catch(function () {
            self.say(self.element.getAttribute("data-wsw-unsaved-text") || "The draft could not be saved.");
          });
        return this.saving;
      }

      flush() {
        if (this.dirty()) {
          this.save(true);
        }
      }

      say(text) {
        if (this.status) {
          this.status.textContent = text;
        }
      }

      click(event) {
        var target = event.target.closest("button");
        if (!target) {
          return;
        }
        if (target.hasAttribute("data-wsw-cancel")) {
          event.preventDefault();
          this.discard();
        } else if (target.hasAttribute("data-wsw-resolve-toggle")) {
          var section = this.element.querySelector("[data-wsw-resolve]");
          var open = section.hidden;
          section.hidden = !open;
          target.setAttribute("aria-expanded", open ? "true" : "false");
          if (open) {
            var first = section.querySelector("select, textarea");
            if (first) {
              first.focus();
            }
          }
        }
      }

      discard() {
        window.clearTimeout(this.timer);
        var self = this;
        post(this.draftUrlValue, { csrfmiddlewaretoken: csrfToken(this.element), discard: "1" }, false).then(function () {
          if (self.body) {
            self.body.value = "";
            self.body.focus();
          }
          var publicMode = self.element.querySelector("input[name=mode][value=public]");
          if (publicMode) {
            publicMode.checked = true;
          }
          self.modeChanged();
          self.saved = self.snapshot();
          self.say(self.element.getAttribute("data-wsw-discarded-text") || "Draft discarded.");
          document.dispatchEvent(new CustomEvent("wsw:composer", { detail: { replying: false } }));
        });
      }

      submit() {
        // The server keeps or drops the draft with the move itself.
        window.clearTimeout(this.timer);
        this.saved = this.snapshot();
      }

      otherSubmit(event) {
        var form = event.target;
        if (form === this.element || form.getAttribute("method") === "get" || form.__wswFlushed || !this.dirty()) {
          return;
        }
        // Another form of the page (abandon, requester, assign to me): save the draft first, then send it.
        event.preventDefault();
        var submitter = event.submitter || null;
        form.__wswFlushed = true;
        this.save(false).then(function () {
          if (form.requestSubmit) {
            form.requestSubmit(submitter);
          } else {
            form.submit();
          }
        });
      }
    }

    class PresenceController extends Stimulus.Controller {
      static values = { url: String, token: String, interval: Number };
      static targets = ["list"];

      connect() {
        this.replying = this.composerHasText();
        this.onVisibility = this.visibilityChanged.bind(this);
        this.onComposer = function (event) {
          var replying = !!(event.detail && event.detail.replying);
          if (replying !== this.replying) {
            this.replying = replying;
            this.poll();
          }
        }.bind(this);
        this.onLeave = this.leave.bind(this);
        document.addEventListener("visibilitychange", this.onVisibility);
        document.addEventListener("wsw:composer", this.onComposer);
        window.addEventListener("pagehide", this.onLeave);
        this.start();
      }

      disconnect() {
        this.stop();
        document.removeEventListener("visibilitychange", this.onVisibility);
        document.removeEventListener("wsw:composer", this.onComposer);
        window.removeEventListener("pagehide", this.onLeave);
      }

      composerHasText() {
        var body = document.querySelector("[data-wsw-composer-body]");
        return !!(body && body.value.trim());
      }

      start() {
        this.stop();
        if (document.visibilityState === "hidden") {
          return;
        }
        this.timer = window.setInterval(this.poll.bind(this), this.intervalValue || 10000);
      }

      stop() {
        window.clearInterval(this.timer);
        this.timer = null;
      }

      visibilityChanged() {
        if (document.visibilityState === "hidden") {
          this.stop();
        } else {
          this.poll();
          this.start();
        }
      }

      poll(state, keepalive) {
        var self = this;
        return post(
          this.urlValue,
          { csrfmiddlewaretoken: csrfToken(), token: this.tokenValue, state: state || (this.replying ? "replying" : "viewing") },
          keepalive
        )
          .then(function (response) {
            if (response.status === 403) {
              self.stop(); // the page's token expired or the ticket is no longer ours: a reload asks again
              return null;
            }
            return response.ok ? response.json() : null;
          })
          .then(function (data) {
            if (data && data.others && !keepalive) {
              self.render(data.others);
            }
          })
          .catch(function () {});
      }

      leave() {
        this.stop();
        this.poll("gone", true);
      }

      render(others) {
        var list = this.listTarget;
        var current = Array.prototype.map.call(list.children, function (item) {
          return item.textContent;
        });
        var next = others.map(function (other) {
          return other.text;
        });
        if (current.join("\n") === next.join("\n")) {
          return; // unchanged: nothing for screen readers to announce again
        }
        list.textContent = "";
        others.forEach(function (other) {
          var item = document.createElement("li");
          item.className = "wsw-presence__item wsw-presence__item--" + (other.state === "replying" ? "replying" : "viewing");
          item.textContent = other.text;
          list.appendChild(item);
        });
      }
    }

    app.register("wsw-composer", ComposerController);
    app.register("wsw-presence", PresenceController);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
