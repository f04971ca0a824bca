// The tracking page's live part: asks for news with the last ETag (a 304 costs the server nothing), every
// minute at first, then twice as long each time nothing changed (up to ten minutes), back to a minute
// after a change, and never again once every parcel is delivered or returned. Hidden tabs do not ask.
(function () {
  "use strict";

  var LONGEST_SECONDS = 600;
  var meta = document.querySelector('meta[name="afterglow-live-etag"]');
  var etag = meta ? meta.content : "";
  var first = document.getElementById("live");
  if (!first || first.dataset.polling !== "on" || !first.dataset.liveUrl) {
    return;
  }
  var shortest = parseInt(first.dataset.pollSeconds, 10) || 60;
  var wait = shortest;
  var timer = null;
  var finished = false;
  var asking = false;

  function later() {
    wait = Math.min(wait * 2, LONGEST_SECONDS);
    schedule();
  }

  function schedule() {
    timer = window.setTimeout(poll, wait * 1000);
  }

  function swap(current, html) {
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var fresh = holder.firstElementChild;
    if (!fresh || fresh.id !== "live") {
      return current;
    }
    current.replaceWith(fresh);
    return fresh;
  }

  function poll() {
    timer = null;
    if (document.hidden) {
      return; // picked up again when the tab is shown
    }
    asking = true;
    var current = document.getElementById("live");
    var headers = { "HX-Request": "true" };
    if (etag) {
      headers["If-None-Match"] = etag;
    }
    fetch(current.dataset.liveUrl, { headers: headers, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        asking = false;
        if (response.status === 304 || !response.ok) {
          later();
          return null;
        }
        etag = response.headers.get("ETag") || "";
        return response.text().then(function (html) {
          var shown = swap(current, html);
          if (shown.dataset.polling !== "on" || !shown.dataset.liveUrl) {
            finished = true;
            return;
          }
          wait = shortest;
          schedule();
        });
      })
      .catch(function () {
        asking = false;
        later();
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer === null && !finished && !asking) {
      poll();
    }
  });
  schedule();
})();
