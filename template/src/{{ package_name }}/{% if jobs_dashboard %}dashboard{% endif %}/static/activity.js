// The dashboard's counts and chart: polls GET <base>/activity a second after each answer, its
// ETag in If-None-Match (304 while no job changed and the minute is the same), and swaps in the
// fragment the service rendered (the counts table and an SVG chart, every value escaped there).
"use strict";

(() => {
  const POLL_MS = 1000;
  const section = document.getElementById("activity");
  const base = document.getElementById("dashboard").dataset.base;
  let tag = null;
  let timer = null;

  async function poll() {
    window.clearTimeout(timer);
    try {
      const headers = { Accept: "text/html" };
      if (tag !== null) {
        headers["If-None-Match"] = tag;
      }
      const response = await fetch(base + "/activity", { headers, cache: "no-store" });
      // A lapsed session: the jobs poll sends the browser to sign in.
      if (response.status === 200) {
        const fragment = new DOMParser().parseFromString(await response.text(), "text/html");
        section.replaceChildren(...fragment.body.childNodes);
        tag = response.headers.get("ETag");
      }
    } catch (error) {
      // The jobs poll shows "reconnecting…"; the next poll tries again.
    } finally {
      timer = document.hidden ? null : window.setTimeout(poll, POLL_MS);
    }
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && timer === null) {
      poll();
    }
  });
  poll();
})();
