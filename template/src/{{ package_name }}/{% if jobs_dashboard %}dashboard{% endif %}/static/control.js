// Job control on the dashboard: cancel the job shown in the detail panel, and retry in bulk the
// failed, interrupted or dead jobs the filters show (how many first, then a confirm). Loaded
// after dashboard.js, whose `base`, `selected`, `filters`, `poll` and `showDetail` it uses.
"use strict";

const BULK_RETRYABLE = ["failed", "interrupted", "dead"];

async function post(path, body) {
  const headers = { Accept: "application/json", "X-Dashboard": "1" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  const response = await fetch(base + path, {
    method: "POST",
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (signInAgain(response)) {
    return null;
  }
  const answer = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, answer };
}

async function cancelSelected() {
  const result = document.getElementById("retry-result");
  const jobId = selected;
  result.textContent = "Cancelling…";
  const done = await post("/jobs/" + encodeURIComponent(jobId) + "/cancel");
  if (done === null) {
    return;
  }
  if (!done.ok) {
    result.textContent = "Not cancelled: " + (done.answer.detail || done.status);
    return;
  }
  result.textContent =
    done.answer.status === "cancelled" ? "Cancelled." : "Cancel asked: its process ends it.";
  await poll();
  await showDetail(jobId);
}

async function retryAll() {
  const result = document.getElementById("bulk-result");
  const chosen = filters.status.value;
  if (chosen && !BULK_RETRYABLE.includes(chosen)) {
    result.textContent = chosen + " jobs do not retry in bulk.";
    return;
  }
  const request = { status: chosen ? [chosen] : BULK_RETRYABLE, kind: filters.kind.value || null };
  const counted = await post("/jobs/retry", { ...request, dry_run: true });
  if (counted === null) {
    return;
  }
  if (!counted.ok) {
    result.textContent = "Not retried: " + (counted.answer.detail || counted.status);
    return;
  }
  const which = request.status.join(", ") + (request.kind ? " " + request.kind : "");
  if (counted.answer.matching === 0) {
    result.textContent = "No " + which + " job to retry.";
    return;
  }
  const question = "Retry " + counted.answer.matching + " " + which + " job(s), each as a new job?";
  if (!window.confirm(question)) {
    result.textContent = "Not retried.";
    return;
  }
  const done = await post("/jobs/retry", request);
  if (done === null) {
    return;
  }
  result.textContent = done.ok
    ? "Retried " + done.answer.retried + " job(s)."
    : "Not retried: " + (done.answer.detail || done.status);
  await poll();
}

document.getElementById("cancel").addEventListener("click", cancelSelected);
document.getElementById("bulk-retry").addEventListener("click", retryAll);
