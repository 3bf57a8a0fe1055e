// The bulk import's progress bar: polls the run's small JSON endpoint and reloads the page when the work is done.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) { return; }
  var bar = document.getElementById("import-progress-bar");
  var text = document.getElementById("import-progress-text");
  function poll() {
    fetch(box.getAttribute("data-progress-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (!data.working) { window.location.reload(); return; }
        if (data.total) {
          bar.value = data.percent;
          text.textContent = data.done + " of about " + data.total + " rows (" + data.percent + "%)";
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
})();
