// Live job progress: every element with data-job-status polls its small JSON endpoint until the job ends.
(function () {
  "use strict";
  var EVERY_MS = 2000;

  function poll(element) {
    var url = element.getAttribute("data-job-status");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) { return; }
        element.textContent = job.progress;
        var status = document.querySelector('[data-job-status-label="' + job.id + '"]');
        if (status) { status.textContent = job.status_label; }
        if (job.finished) {
          // The page's other parts (download link, message, buttons) follow the new state once.
          if (element.hasAttribute("data-job-reload-when-done")) { window.location.reload(); }
          return;
        }
        window.setTimeout(function () { poll(element); }, EVERY_MS);
      })
      .catch(function () { window.setTimeout(function () { poll(element); }, EVERY_MS * 3); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-job-status]").forEach(function (element) {
      window.setTimeout(function () { poll(element); }, EVERY_MS);
    });
  });
})();
