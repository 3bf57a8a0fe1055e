// The API documentation page: Swagger UI draws its list of operations as the page's <main>; the parts it draws
// around it (the API's description, the Authorize bar) get labelled regions, so that all content sits in a
// landmark for screen-reader users. Runs again whenever Swagger UI redraws.
(function () {
  var root = document.getElementById("swagger-ui");
  if (!root) { return; }
  var labels = { ".information-container": "About the API", ".scheme-container": "Authorisation" };
  function label() {
    Object.keys(labels).forEach(function (selector) {
      root.querySelectorAll(selector).forEach(function (element) {
        if (!element.getAttribute("role")) {
          element.setAttribute("role", "region");
          element.setAttribute("aria-label", labels[selector]);
        }
      });
    });
  }
  new MutationObserver(label).observe(root, { childList: true, subtree: true });
  label();
})();
