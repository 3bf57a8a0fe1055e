// Dashboards: reveal the "Print briefing" buttons (they need JavaScript) and wire them to the print dialog.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
