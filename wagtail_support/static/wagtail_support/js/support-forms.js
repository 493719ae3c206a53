/*
 * wagtail-support: the visitor's forms (a new ticket, a reply). No dependency, no build step.
 *
 * 1. After a failed submit, the error summary ([data-ws-error-summary], see includes/form_errors.html)
 *    takes the focus, so a screen reader reads it and a keyboard starts from it; each of its links moves
 *    the focus to its field.
 * 2. File fields ([data-ws-files], see includes/files_field.html): the files chosen are listed by name and
 *    size, each with a button that removes it (the input's files are rebuilt through a DataTransfer);
 *    choosing files again adds them to the list. A file the server would refuse (too large, empty, a type
 *    it does not accept, one too many, over the total per message) is refused here, with a sentence, before
 *    anything is uploaded. The limits and the sentences are rendered by the server from its settings.
 *
 * Everything here is an enhancement: without this script the forms work the same, and the server checks
 * every file again whatever the browser did.
 */
(function () {
  "use strict";

  if (window.wagtailSupportForms) {
    return; // Loaded twice on the same page.
  }
  window.wagtailSupportForms = true;

  var UNITS = ["byte", "kilobyte", "megabyte", "gigabyte"];

  function formatSize(bytes) {
    var value = bytes;
    var unit = 0;
    while (value >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit += 1;
    }
    try {
      return new Intl.NumberFormat(document.documentElement.lang || undefined, {
        style: "unit",
        unit: UNITS[unit],
        unitDisplay: unit === 0 ? "long" : "short",
        maximumFractionDigits: unit === 0 ? 0 : 1,
      }).format(value);
    } catch (error) {
      return Math.round(value * 10) / 10 + " " + ["B", "KB", "MB", "GB"][unit];
    }
  }

  function fill(template, file) {
    return (template || "").split("{name}").join(file.name).split("{size}").join(formatSize(file.size));
  }

  function words(value) {
    return (value || "").toLowerCase().split(/\s+/).filter(Boolean);
  }

  function visuallyHidden(text) {
    var span = document.createElement("span");
    span.className = "ws-visually-hidden";
    span.textContent = text;
    return span;
  }

  // 1. The error summary ---------------------------------------------------------------------------------

  function setUpErrorSummary(summary) {
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var target = link && document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
      if (!target) {
        return;
      }
      event.preventDefault();
      // The label (or the group's legend) in view with its field, as the GOV.UK summary does.
      var label = document.querySelector("label[for='" + target.id + "']");
      var shown = target.closest("fieldset") || label || target;
      shown.scrollIntoView({ block: "start" });
      target.focus({ preventScroll: true });
    });
    summary.focus();
  }

  // 2. File fields -----------------------------------------------------------------------------------------

  function setUpFiles(box) {
    var input = box.querySelector("input[type=file]");
    var list = box.querySelector("[data-ws-chosen]");
    var refusedList = box.querySelector("[data-ws-refused]");
    if (!input || !list || !refusedList || typeof DataTransfer === "undefined") {
      return; // The plain input keeps working.
    }
    var data = box.dataset;
    var maxSize = Number(data.maxSize) || Infinity;
    var maxTotal = Number(data.maxTotal) || Infinity;
    var maxCount = Number(data.maxCount) || Infinity;
    var extensions = words(data.extensions);
    var types = words(data.types);
    var chosen = [];

    function kept() {
      // The files kept from an earlier try and not ticked for removal count towards the limits.
      var count = 0;
      var size = 0;
      box.querySelectorAll("[data-ws-kept-remove]").forEach(function (checkbox) {
        if (!checkbox.checked) {
          count += 1;
          size += Number(checkbox.getAttribute("data-size")) || 0;
        }
      });
      return { count: count, size: size };
    }

    function acceptedType(file) {
      var name = file.name.toLowerCase();
      var dot = name.lastIndexOf(".");
      var extension = dot > 0 ? name.slice(dot) : "";
      var type = (file.type || "").toLowerCase();
      if ((extension && extensions.indexOf(extension) !== -1) || types.indexOf(type) !== -1) {
        return true;
      }
      // The server finds text in the content whatever the name: a file the browser cannot type, or plain
      // text under another name, is left to it. Markup (HTML, SVG, XML) never is text it accepts.
      if (types.indexOf("text/plain") !== -1) {
        return type === "" || (type.indexOf("text/") === 0 && !/html|xml/.test(type));
      }
      return false;
    }

    function sameFile(a, b) {
      return a.name === b.name && a.size === b.size && a.lastModified === b.lastModified;
    }

    function sync() {
      var transfer = new DataTransfer();
      chosen.forEach(function (file) {
        transfer.items.add(file);
      });
      input.files = transfer.files;
      render();
    }

    function remove(index) {
      chosen.splice(index, 1);
      sync();
      var buttons = list.querySelectorAll("button");
      (buttons[Math.min(index, buttons.length - 1)] || input).focus();
    }

    function render() {
      list.textContent = "";
      chosen.forEach(function (file, index) {
        var item = document.createElement("li");
        item.className = "ws-file-list__item";
        var name = document.createElement("span");
        name.className = "ws-file-list__name";
        name.textContent = file.name;
        var size = document.createElement("span");
        size.className = "ws-file-list__size";
        size.textContent = formatSize(file.size);
        var button = document.createElement("button");
        button.type = "button";
        button.className = "ws-button ws-file-list__remove";
        button.textContent = data.labelRemove;
        button.appendChild(visuallyHidden(" " + file.name));
        button.addEventListener("click", function () {
          remove(index);
        });
        item.append(name, " ", size, " ", button);
        list.appendChild(item);
      });
      list.setAttribute("aria-label", data.labelChosen || "");
      list.hidden = chosen.length === 0;
    }

    input.addEventListener("change", function () {
      var already = kept();
      var total = already.size;
      chosen.forEach(function (file) {
        total += file.size;
      });
      var refused = [];
      Array.prototype.forEach.call(input.files, function (file) {
        if (chosen.some(function (other) { return sameFile(other, file); })) {
          return; // Chosen twice: listed once.
        }
        var why = null;
        if (file.size === 0) {
          why = data.refusedEmpty;
        } else if (file.size > maxSize) {
          why = data.refusedLarge;
        } else if (!acceptedType(file)) {
          why = data.refusedType;
        } else if (already.count + chosen.length >= maxCount) {
          why = data.refusedCount;
        } else if (total + file.size > maxTotal) {
          why = data.refusedTotal;
        }
        if (why) {
          refused.push(fill(why, file));
        } else {
          chosen.push(file);
          total += file.size;
        }
      });
      refusedList.textContent = "";
      refused.forEach(function (text) {
        var item = document.createElement("li");
        item.textContent = text;
        refusedList.appendChild(item);
      });
      sync();
    });

    // Files chosen before the script ran (a page restored from the cache) are listed too.
    if (input.files.length) {
      input.dispatchEvent(new Event("change"));
    }
  }

  function start() {
    document.querySelectorAll("[data-ws-files]").forEach(setUpFiles);
    var summary = document.querySelector("[data-ws-error-summary]");
    if (summary) {
      setUpErrorSummary(summary);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
