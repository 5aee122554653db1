// Starts Swagger UI on /api/docs (a file, not an inline script: the CSP forbids those).
"use strict";

window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  if (!root || !window.SwaggerUIBundle) return;
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute("data-url"),
    domNode: root,
    // Deep links put a link inside each operation's button (nested interactive controls).
    deepLinking: false,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // « Try it out » sends real requests to this wiki: keep the token out of storage.
    persistAuthorization: false,
    validatorUrl: null,
  });
});
