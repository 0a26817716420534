/*
 * The page of a running job: asks for its state every two seconds, moves the progress bar,
 * and loads the page again when the work is done (or failed). Without this file the page
 * offers a "Check again" link.
 */
(function () {
  "use strict";

  var box = document.getElementById("job-progress");
  if (!box || !window.fetch) {
    return;
  }
  var state = document.getElementById("job-state");
  var bar = document.getElementById("job-bar");
  var unit = box.getAttribute("data-unit") || "offers read";
  var POLL_MS = 2000;

  function show(job) {
    if (job.status !== "queued" && job.status !== "running") {
      window.location.reload();
      return;
    }
    if (job.status === "running") {
      var total = job.total === null ? "" : " of " + job.total;
      state.textContent = "Running: " + job.done + total + " " + unit + ".";
      if (job.total) {
        bar.max = job.total;
        bar.value = job.done;
      }
    }
    window.setTimeout(poll, POLL_MS);
  }

  function poll() {
    fetch(box.getAttribute("data-status-url"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(show)
      .catch(function () {
        window.setTimeout(poll, POLL_MS * 5);
      });
  }

  window.setTimeout(poll, POLL_MS);
})();
