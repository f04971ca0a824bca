// Afterglow: starts Swagger UI for /api/v1/docs. A file, not an inline script: the site's CSP allows
// scripts from 'self' only. The schema URL comes from the page; nothing is fetched from elsewhere
// (validatorUrl: null turns off the badge that would call validator.swagger.io).
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    validatorUrl: null,
    persistAuthorization: false,
  });
})();
