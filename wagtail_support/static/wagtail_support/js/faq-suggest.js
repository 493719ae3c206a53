/*
 * wagtail-support: the FAQ in the visitor's pages. No dependency, no build step.
 *
 * 1. Suggestions while a visitor writes a ticket: every element with data-faq-suggest-url (see
 *    templates/wagtail_support/includes/faq_suggestions.html) asks that JSON view for the FAQ entries
 *    matching the subject (#id_subject), and a few words of the description (#id_description) while the
 *    subject is short, and lists them as links. Server data only ever goes through textContent and
 *    validated link addresses, never through innerHTML. When nothing matches and the box has
 *    data-open-ticket-url (the FAQ page's search), it offers "Open a ticket" with what was typed as the
 *    ticket's subject.
 *    Inside the ticket form (data-faq-opened-url), opening a suggestion is counted: a POST beacon with
 *    the form's CSRF token, once per question and page, and the question's id added to the form's hidden
 *    field (data-opened-field), so a ticket sent afterwards counts as "sent after opening it".
 * 2. On the FAQ page ([data-faq-page]): opens the question named in the address (#faq-...), which some
 *    browsers leave folded inside its <details>.
 *
 * Everything here is an enhancement: without this script the ticket form and the FAQ work the same.
 */
(function () {
  "use strict";

  if (window.wagtailSupportFaq) {
    return; // Loaded twice on the same page.
  }
  window.wagtailSupportFaq = true;

  var DEBOUNCE_MS = 250;
  var DESCRIPTION_DEBOUNCE_MS = 600;
  var MIN_LENGTH = 3;
  var SHORT_SUBJECT_WORDS = 3;
  var DESCRIPTION_WORDS = 6;

  function words(text) {
    return (text || "").trim().split(/\s+/).filter(Boolean);
  }

  function safeHref(url) {
    // Only links to web pages: a relative address or http(s), never javascript: or data:.
    if (typeof url !== "string" || !url) {
      return null;
    }
    try {
      var parsed = new URL(url, window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (error) {
      return null;
    }
  }

  function setUpSuggestions(container) {
    var endpoint = container.getAttribute("data-faq-suggest-url");
    var list = container.querySelector("ul") || container.appendChild(document.createElement("ul"));
    // Without a label, the answers open in the same tab (no form is being written there).
    var newTabLabel = container.getAttribute("data-new-tab-label");
    var title = container.querySelector(".ws-faq-suggest__title");
    var none = container.querySelector(".ws-faq-suggest__none");
    var openTicket = none ? none.querySelector("a") : null;
    var openTicketUrl = safeHref(container.getAttribute("data-open-ticket-url"));
    var subject = document.getElementById(container.getAttribute("data-subject-field") || "id_subject");
    // The page's locale: its questions (and the default locale's not translated) are the ones suggested.
    var locale = container.getAttribute("data-locale");
    var openedUrl = container.getAttribute("data-faq-opened-url");
    var openedField = document.getElementById(container.getAttribute("data-opened-field") || "");
    var opened = {};
    var description = document.getElementById(container.getAttribute("data-description-field") || "id_description");
    if (!endpoint || !subject) {
      return;
    }

    var timer = null;
    var controller = null;
    var lastQuery = null;

    function currentQuery() {
      var subjectWords = words(subject.value);
      if (description && subjectWords.length < SHORT_SUBJECT_WORDS) {
        subjectWords = subjectWords.concat(words(description.value).slice(0, DESCRIPTION_WORDS));
      }
      return subjectWords.join(" ").slice(0, 200);
    }

    function recordOpened(id) {
      // Counted once per question and page; only with the ticket form's CSRF token (no token, no count).
      if (!openedUrl || typeof id !== "number" || opened[id]) {
        return;
      }
      opened[id] = true;
      var form = container.closest("form");
      var token = form ? form.querySelector("input[name=csrfmiddlewaretoken]") : null;
      if (openedField) {
        openedField.value = (openedField.value ? openedField.value + " " : "") + id;
      }
      if (!token) {
        return;
      }
      var data = new FormData();
      data.append("csrfmiddlewaretoken", token.value);
      data.append("entry", String(id));
      if (navigator.sendBeacon && navigator.sendBeacon(openedUrl, data)) {
        return;
      }
      fetch(openedUrl, { method: "POST", body: data, credentials: "same-origin", keepalive: true }).catch(function () {});
    }

    function hide() {
      container.hidden = true;
      list.replaceChildren();
    }

    function showNoAnswer() {
      // Nothing matches: a way on, with what the visitor typed as the subject of a new ticket.
      if (!none || !openTicket || !openTicketUrl) {
        hide();
        return;
      }
      var typed = subject.value.trim().slice(0, 255);
      openTicket.href = openTicketUrl + (openTicketUrl.indexOf("?") === -1 ? "?" : "&") + "subject=" + encodeURIComponent(typed);
      if (title) {
        title.hidden = true;
      }
      none.hidden = false;
      container.hidden = false;
    }

    function render(results) {
      list.replaceChildren();
      if (title) {
        title.hidden = false;
      }
      if (none) {
        none.hidden = true;
      }
      results.forEach(function (result) {
        if (!result || typeof result.question !== "string") {
          return;
        }
        var item = document.createElement("li");
        item.className = "ws-faq-suggest__item";
        var href = safeHref(result.url);
        var question;
        if (href) {
          question = document.createElement("a");
          question.href = href;
          if (newTabLabel !== null) {
            // A new tab, so what the visitor typed in the form stays where it is.
            question.target = "_blank";
            question.rel = "noopener";
          }
          question.textContent = result.question;
          if (typeof result.id === "number") {
            var resultId = result.id;
            question.addEventListener("click", function () {
              recordOpened(resultId);
            });
            question.addEventListener("auxclick", function (event) {
              if (event.button === 1) {
                recordOpened(resultId);
              }
            });
          }
          if (newTabLabel) {
            var hint = document.createElement("span");
            hint.className = "ws-visually-hidden";
            hint.textContent = " " + newTabLabel;
            question.appendChild(hint);
          }
        } else {
          question = document.createElement("strong");
          question.textContent = result.question;
        }
        question.classList.add("ws-faq-suggest__question");
        item.appendChild(question);
        if (typeof result.excerpt === "string" && result.excerpt) {
          var excerpt = document.createElement("p");
          excerpt.className = "ws-faq-suggest__excerpt";
          excerpt.textContent = result.excerpt;
          item.appendChild(excerpt);
        }
        list.appendChild(item);
      });
      if (list.children.length === 0) {
        showNoAnswer();
      } else {
        container.hidden = false;
      }
    }

    function lookUp() {
      var query = currentQuery();
      if (query === lastQuery) {
        return;
      }
      lastQuery = query;
      if (controller) {
        controller.abort();
        controller = null;
      }
      if (query.length < MIN_LENGTH) {
        hide();
        return;
      }
      controller = typeof AbortController === "function" ? new AbortController() : null;
      var url = endpoint + (endpoint.indexOf("?") === -1 ? "?" : "&") + "q=" + encodeURIComponent(query);
      if (locale) {
        url += "&locale=" + encodeURIComponent(locale);
      }
      fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("FAQ suggestions: HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          render(data && Array.isArray(data.results) ? data.results : []);
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") {
            return; // A newer query replaced this one.
          }
          lastQuery = null; // Try again on the next keystroke.
          hide();
        });
    }

    function schedule(delay) {
      window.clearTimeout(timer);
      timer = window.setTimeout(lookUp, delay);
    }

    subject.addEventListener("input", function () {
      schedule(DEBOUNCE_MS);
    });
    if (description) {
      description.addEventListener("input", function () {
        if (words(subject.value).length < SHORT_SUBJECT_WORDS) {
          schedule(DESCRIPTION_DEBOUNCE_MS);
        }
      });
    }
    // Escape in the subject or on a suggestion puts the suggestions away until the next change.
    function dismissOnEscape(event) {
      if (event.key === "Escape" && !container.hidden) {
        container.hidden = true;
        if (container.contains(event.target)) {
          subject.focus();
        }
      }
    }
    subject.addEventListener("keydown", dismissOnEscape);
    container.addEventListener("keydown", dismissOnEscape);

    // A form shown again with its subject filled (after an error) gets its suggestions at once; not a
    // page that already shows the results of that text (data-skip-initial, the FAQ page's search).
    if (subject.value && !container.hasAttribute("data-skip-initial")) {
      lookUp();
    }
  }

  function openTargetedQuestion() {
    var id;
    try {
      id = decodeURIComponent(window.location.hash.slice(1));
    } catch (error) {
      return; // A malformed address names nothing.
    }
    var target = id ? document.getElementById(id) : null;
    if (target && target.tagName === "DETAILS" && !target.open) {
      target.open = true;
      target.scrollIntoView();
    }
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-faq-suggest-url]"), setUpSuggestions);
    if (document.querySelector("[data-faq-page]")) {
      openTargetedQuestion();
      window.addEventListener("hashchange", openTargetedQuestion);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
