// Every page: when it comes back with errors (a refused form, a search that could not be read) or
// with a question the submit stopped at (``data-needs-answer``: publish on a closed day?), keyboard
// and screen-reader focus goes to them rather than to the top of the page, and the title says so
// first. Loaded from base.html (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";

  function firstControl(container) {
    return container && container.querySelector("input:not([type=hidden]), select, textarea, button");
  }

  var main = document.getElementById("main") || document.body;
  var summary = main.querySelector(".error-summary");
  var invalid = main.querySelector("[aria-invalid='true']") || firstControl(main.querySelector(".has-error"));
  var question = main.querySelector("[data-needs-answer]");
  if (!summary && !invalid && !question) {
    return;
  }

  var prefix = document.body.getAttribute("data-error-title");
  if (prefix && document.title.indexOf(prefix) !== 0) {
    document.title = prefix + document.title;
  }

  // The summary says what is wrong and sits above the form: the next Tab reaches the first field.
  var target = summary || invalid || question;
  if (target !== invalid && !target.hasAttribute("tabindex")) {
    target.setAttribute("tabindex", "-1");
  }
  target.focus();
})();
