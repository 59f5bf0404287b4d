// Every page: when it comes back with errors (a refused form, a search that could not be read),
// keyboard and screen-reader focus goes to them rather than to the top of the page, and the title
// says so first. Loaded from base.html (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";

  function firstControl(container) {
    return container && container.querySelector("input:not([type=hidden]), select, textarea, button");
  }

  var main = document.getElementById("main") || document.body;
  var summary = main.querySelector(".error-summary");
  var invalid = main.querySelector("[aria-invalid='true']") || firstControl(main.querySelector(".has-error"));
  if (!summary && !invalid) {
    return;
  }

  var prefix = document.body.getAttribute("data-error-title");
  if (prefix && document.title.indexOf(prefix) !== 0) {
    document.title = prefix + document.title;
  }

  // The summary says what is wrong and sits above the form: the next Tab reaches the first field.
  var target = summary || invalid;
  if (target === summary && !summary.hasAttribute("tabindex")) {
    summary.setAttribute("tabindex", "-1");
  }
  target.focus();
})();
