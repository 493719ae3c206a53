/*
 * wagtail-support: the filter box above a list of checkboxes (widgets.FilteredCheckboxList), such as a
 * team's members. Typing hides the options whose label does not contain the text (case and accents
 * ignored); hidden options keep their state and are still sent. Without this script every option is
 * shown and the box stays hidden. No dependency, no build step.
 */
(function () {
  "use strict";

  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function setUp(root) {
    if (root.dataset.wswChecklistReady) {
      return;
    }
    root.dataset.wswChecklistReady = "1";
    var box = root.querySelector("[data-wsw-checklist-filter]");
    var input = box.querySelector("input");
    var count = root.querySelector("[data-wsw-checklist-count]");
    var items = Array.prototype.slice.call(root.querySelectorAll(".wsw-checklist__item"));
    box.hidden = false;
    input.addEventListener("input", function () {
      var wanted = fold(input.value.trim());
      var shown = 0;
      items.forEach(function (item) {
        var match = !wanted || fold(item.dataset.wswChecklistText).indexOf(wanted) !== -1;
        item.hidden = !match;
        shown += match ? 1 : 0;
      });
      count.textContent = wanted
        ? (root.dataset.wswChecklistCountText || "%(shown)s / %(total)s")
            .replace("%(shown)s", shown)
            .replace("%(total)s", items.length)
        : "";
    });
    // Enter in the filter box must not submit the whole form.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
      }
    });
  }

  function setUpAll() {
    document.querySelectorAll("[data-wsw-checklist]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
