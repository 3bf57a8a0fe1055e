// Progressive enhancement: under every textarea with a maxlength, say how many characters are left.
// Without JavaScript the browser's maxlength and the server's limit still hold (CSP: no inline script).
(function () {
  "use strict";
  function attach(area) {
    var max = parseInt(area.getAttribute("maxlength"), 10);
    if (!max) { return; }
    var counter = document.createElement("p");
    counter.className = "char-counter hint";
    counter.id = (area.id || "field") + "-counter";
    counter.setAttribute("aria-live", "polite");
    function update() {
      var left = max - area.value.length;
      counter.textContent = left + " of " + max + " characters left";
      counter.classList.toggle("char-counter-low", left < max / 10);
    }
    area.insertAdjacentElement("afterend", counter);
    var described = area.getAttribute("aria-describedby");
    area.setAttribute("aria-describedby", described ? described + " " + counter.id : counter.id);
    area.addEventListener("input", update);
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("textarea[maxlength]"), attach);
  });
})();
