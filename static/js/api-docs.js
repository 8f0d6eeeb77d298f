// The API's documentation page: Swagger UI (static/vendor/swagger-ui/) drawing the OpenAPI
// description the server generates. An external file, as the pages run under a strict CSP.
(function () {
  "use strict";

  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  var csrfToken = root.getAttribute("data-csrf-token");

  window.SwaggerUIBundle({
    url: root.getAttribute("data-schema-url"),
    domNode: root,
    deepLinking: true,
    // Nothing leaves the site: no validator badge fetched from swagger.io.
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // "Try it out" uses the browser's session, whose writes need the CSRF token, as the
    // pages' forms do.
    withCredentials: true,
    requestInterceptor: function (request) {
      if (csrfToken && request.method && request.method.toUpperCase() !== "GET") {
        request.headers["X-CSRFToken"] = csrfToken;
      }
      return request;
    },
  });
})();
