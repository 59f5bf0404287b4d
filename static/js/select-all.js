// "Select all on this page" on a list of ticked rows (the city admin's undelivered email): without
// script the link reloads the page with every box ticked; with it, it ticks or clears them in place.
(function () {
  "use strict";

  var link = document.querySelector("a[data-select-all]");
  var form = link && link.closest("form");
  if (!form) {
    return;
  }
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][name=message]"));

  function allTicked() {
    return boxes.length > 0 && boxes.every(function (box) { return box.checked; });
  }

  function label() {
    link.textContent = link.getAttribute(allTicked() ? "data-clear-label" : "data-select-label");
  }

  link.setAttribute("role", "button");
  link.addEventListener("click", function (event) {
    event.preventDefault();
    var tick = !allTicked();
    boxes.forEach(function (box) { box.checked = tick; });
    label();
  });
  link.addEventListener("keydown", function (event) {
    if (event.key === " ") {  // a button is pressed with the space bar too
      event.preventDefault();
      link.click();
    }
  });
  boxes.forEach(function (box) { box.addEventListener("change", label); });
  label();
})();
