// On paper, folded content is shown: every <details> but one marked .print-folded opens for printing and closes again after,
// as the reader left it. (print.css does the same without JavaScript where the browser knows ::details-content.)
(function () {
  var opened = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open]):not(.print-folded)").forEach(function (details) {
      details.open = true;
      opened.push(details);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (details) { details.open = false; });
    opened = [];
  });
})();
