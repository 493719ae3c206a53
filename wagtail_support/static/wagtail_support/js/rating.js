/* The one click of a rating link (templates/wagtail_support/rate.html).
 *
 * The link's page never records anything by itself (mail robots and link scanners fetch links): it shows
 * the form with the link's rating chosen. For a person, this script sends that form once, as soon as the
 * page has loaded; the answer thanks them and offers the comment. Without script, the button does it.
 */
(function () {
  "use strict";

  function start() {
    var form = document.querySelector("form[data-ws-autosubmit]");
    if (!form || form.hasAttribute("data-ws-sent")) {
      return;
    }
    form.setAttribute("data-ws-sent", "");
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
