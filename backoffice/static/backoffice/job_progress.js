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
          // Stop polling; the download link and buttons appear when the page is next opened.
          element.removeAttribute("data-job-status");
          if (job.message) { element.setAttribute("title", job.message); }
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
