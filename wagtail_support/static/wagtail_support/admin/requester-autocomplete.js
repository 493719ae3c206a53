/*
 * wagtail-support, "New ticket" in the Wagtail admin. No dependency, no build step.
 *
 * 1. The requester and the beneficiary: the name and address the agent types are what the ticket
 *    uses (the quick way the seed recommends). While they type, existing accounts whose username,
 *    name or address start with the text are suggested (the JSON view named in data-autocomplete-url);
 *    choosing one fills the name and the address and links the ticket to the account (the hidden
 *    "<role>_user" field). Typing again unlinks it. ARIA combobox pattern: arrow keys, Enter, Escape.
 * 2. The team preview: which team will get the ticket, from the service catalog entry (the
 *    #ws-category-teams map), the team chosen by hand, or the site's default team.
 *
 * Server data only ever goes through textContent, never innerHTML. Without this script the form works
 * the same: the agent types the name and the address, and the server links the account whose address
 * it is.
 */
(function () {
  "use strict";

  if (window.wagtailSupportCreate) {
    return; // Loaded twice on the same page.
  }
  window.wagtailSupportCreate = true;

  var DEBOUNCE_MS = 200;
  var BLUR_CLOSE_MS = 150;

  function format(template, values) {
    return (template || "").replace(/%\((\w+)\)s/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  function accountLabel(result) {
    return result.email ? result.name + " <" + result.email + ">" : result.name;
  }

  function setUpPerson(root, container, config) {
    var role = container.getAttribute("data-person");
    var nameInput = document.getElementById("id_" + role + "_name");
    var emailInput = document.getElementById("id_" + role + "_email");
    var hidden = document.getElementById(container.getAttribute("data-user-input"));
    var box = container.querySelector("[data-person-suggestions]");
    var listbox = box && box.querySelector("[role=listbox]");
    var status = container.querySelector("[data-person-status]");
    var accountLine = container.querySelector("[data-person-account]");
    var accountText = container.querySelector("[data-person-account-label]");
    var unlink = container.querySelector("[data-person-unlink]");
    if (!nameInput || !emailInput || !hidden || !box || !listbox) {
      return;
    }

    var inputs = [nameInput, emailInput];
    var timer = null;
    var controller = null;
    var results = [];
    var active = -1;
    var owner = null; // the input the suggestions belong to
    var cache = new Map();
    var emptyNote = null;

    inputs.forEach(function (input) {
      input.setAttribute("role", "combobox");
      input.setAttribute("aria-autocomplete", "list");
      input.setAttribute("aria-expanded", "false");
      input.setAttribute("aria-controls", listbox.id);
    });

    function announce(text) {
      if (status) {
        status.textContent = text || "";
      }
    }

    function close() {
      box.hidden = true;
      active = -1;
      inputs.forEach(function (input) {
        input.setAttribute("aria-expanded", "false");
        input.removeAttribute("aria-activedescendant");
      });
    }

    function highlight(index) {
      var options = listbox.querySelectorAll("[role=option]");
      active = index;
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (owner) {
        if (index >= 0 && options[index]) {
          owner.setAttribute("aria-activedescendant", options[index].id);
          options[index].scrollIntoView({ block: "nearest" });
        } else {
          owner.removeAttribute("aria-activedescendant");
        }
      }
    }

    function showLinked(label) {
      if (!accountLine) {
        return;
      }
      if (accountText) {
        accountText.textContent = label || "";
      }
      accountLine.hidden = !label;
    }

    function choose(index) {
      var result = results[index];
      if (!result) {
        return;
      }
      nameInput.value = result.name || "";
      emailInput.value = result.email || "";
      hidden.value = String(result.id);
      showLinked(accountLabel(result));
      close();
      announce(accountLabel(result));
      // Let Wagtail's "unsaved changes" warning know the form changed.
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function render(query, items) {
      results = items;
      listbox.textContent = "";
      if (emptyNote) {
        emptyNote.remove();
        emptyNote = null;
      }
      items.forEach(function (result, index) {
        var option = document.createElement("li");
        option.className = "ws-person__option";
        option.id = listbox.id + "-option-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var name = document.createElement("span");
        name.className = "ws-person__option-name";
        name.textContent = result.name || "";
        option.appendChild(name);
        if (result.email) {
          var email = document.createElement("span");
          email.className = "ws-person__option-email";
          email.textContent = result.email;
          option.appendChild(email);
        }
        // mousedown, not click: the input keeps the focus, so the list is not closed by its blur first.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(index);
        });
        option.addEventListener("mousemove", function () {
          if (active !== index) {
            highlight(index);
          }
        });
        listbox.appendChild(option);
      });
      if (!items.length) {
        emptyNote = document.createElement("p");
        emptyNote.className = "ws-person__empty";
        emptyNote.textContent = config.labels.noResults;
        box.appendChild(emptyNote);
        announce(config.labels.noResults);
      } else {
        announce(
          items.length === 1
            ? config.labels.resultsOne
            : format(config.labels.resultsMany, { count: items.length })
        );
      }
      box.hidden = false;
      if (owner) {
        owner.setAttribute("aria-expanded", items.length ? "true" : "false");
      }
      highlight(-1);
    }

    function search(input) {
      var query = input.value.trim().replace(/\s+/g, " ");
      if (query.length < config.minLength) {
        if (controller) {
          controller.abort();
          controller = null;
        }
        close();
        return;
      }
      owner = input;
      if (cache.has(query)) {
        render(query, cache.get(query));
        return;
      }
      if (controller) {
        controller.abort();
      }
      controller = typeof AbortController === "function" ? new AbortController() : null;
      announce(config.labels.searching);
      var url = new URL(config.url, window.location.href);
      url.searchParams.set("q", query);
      fetch(url.toString(), {
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" },
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          var items = Array.isArray(data && data.results) ? data.results : [];
          items = items.filter(function (item) {
            return item && (typeof item.id === "number" || typeof item.id === "string");
          });
          cache.set(query, items);
          // Only the answer to what is typed now: an older, slower answer is dropped.
          if (input.value.trim().replace(/\s+/g, " ") === query && document.activeElement === input) {
            render(query, items);
          }
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") {
            return;
          }
          close();
          announce(config.labels.error);
        });
    }

    function onInput(event) {
      if (hidden.value) {
        // Typing another name or address: this is not the chosen account any more.
        hidden.value = "";
        showLinked("");
      }
      var input = event.target;
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        search(input);
      }, DEBOUNCE_MS);
    }

    function onKeydown(event) {
      var open = !box.hidden && owner === event.target && results.length > 0;
      switch (event.key) {
        case "ArrowDown":
          if (open) {
            event.preventDefault();
            highlight(active + 1 >= results.length ? 0 : active + 1);
          } else if (event.target.value.trim().length >= config.minLength) {
            event.preventDefault();
            search(event.target);
          }
          break;
        case "ArrowUp":
          if (open) {
            event.preventDefault();
            highlight(active <= 0 ? results.length - 1 : active - 1);
          }
          break;
        case "Enter":
          if (open && active >= 0) {
            event.preventDefault(); // choose the account, do not submit the form
            choose(active);
          }
          break;
        case "Escape":
          if (!box.hidden) {
            event.preventDefault();
            close();
          }
          break;
        case "Tab":
          close();
          break;
        default:
          break;
      }
    }

    inputs.forEach(function (input) {
      input.addEventListener("input", onInput);
      input.addEventListener("keydown", onKeydown);
      input.addEventListener("blur", function () {
        window.setTimeout(function () {
          if (inputs.indexOf(document.activeElement) === -1) {
            close();
          }
        }, BLUR_CLOSE_MS);
      });
    });

    if (unlink) {
      unlink.addEventListener("click", function () {
        hidden.value = "";
        showLinked("");
        hidden.dispatchEvent(new Event("change", { bubbles: true }));
        nameInput.focus();
      });
    }
  }

  function setUpTeamPreview(root) {
    var preview = root.querySelector("[data-team-preview]");
    var category = document.getElementById("id_category");
    var team = document.getElementById("id_team");
    var mapElement = document.getElementById("ws-category-teams");
    if (!preview || !category) {
      return;
    }
    var routes = {};
    try {
      routes = JSON.parse(mapElement ? mapElement.textContent : "{}") || {};
    } catch (error) {
      routes = {};
    }
    var nameElement = preview.querySelector("[data-team-name]");
    var sourceElement = preview.querySelector("[data-team-source]");
    if (!nameElement || !sourceElement) {
      return;
    }

    function update() {
      var name = "";
      var source = "none";
      if (team && team.value) {
        var option = team.options[team.selectedIndex];
        name = option ? option.textContent.trim() : "";
        source = "override";
      } else if (category.value && routes[category.value]) {
        name = routes[category.value];
        source = "category";
      } else if (preview.getAttribute("data-default-team")) {
        name = preview.getAttribute("data-default-team");
        source = "default";
      }
      nameElement.textContent = name;
      var label = preview.getAttribute("data-label-" + source) || "";
      sourceElement.textContent = name ? "(" + label + ")" : label;
    }

    category.addEventListener("change", update);
    if (team) {
      team.addEventListener("change", update);
    }
    update();
  }

  function setUp(root) {
    var config = {
      url: root.getAttribute("data-autocomplete-url"),
      minLength: parseInt(root.getAttribute("data-autocomplete-min-length"), 10) || 2,
      labels: {
        searching: root.getAttribute("data-label-searching") || "",
        noResults: root.getAttribute("data-label-no-results") || "",
        resultsOne: root.getAttribute("data-label-results-one") || "",
        resultsMany: root.getAttribute("data-label-results-many") || "",
        error: root.getAttribute("data-label-error") || "",
      },
    };
    if (config.url && typeof window.fetch === "function") {
      root.querySelectorAll("[data-person]").forEach(function (container) {
        setUpPerson(root, container, config);
      });
    }
    setUpTeamPreview(root);
  }

  function init() {
    document.querySelectorAll("[data-support-create]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
