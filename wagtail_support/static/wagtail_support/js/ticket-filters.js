/*
 * wagtail-support: the filters of "My tickets" ([data-ticket-filters]). No dependency, no build step.
 *
 * A date typed in "From" or "To" switches the period to "Custom"; choosing another period empties the
 * dates. The server does the same with dates sent without "Custom" (TicketFilterForm), so without this
 * script the filters work the same.
 */
(function () {
  "use strict";

  function setUp(form) {
    var period = form.querySelector('select[name="period"]');
    var dates = form.querySelectorAll('input[name="date_from"], input[name="date_to"]');
    if (!period || !dates.length) {
      return;
    }
    Array.prototype.forEach.call(dates, function (input) {
      function switchToCustom() {
        if (input.value && period.value !== "custom") {
          period.value = "custom";
        }
      }
      input.addEventListener("input", switchToCustom);
      input.addEventListener("change", switchToCustom);
    });
    period.addEventListener("change", function () {
      if (period.value !== "custom") {
        Array.prototype.forEach.call(dates, function (input) {
          input.value = "";
        });
      }
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-ticket-filters]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
