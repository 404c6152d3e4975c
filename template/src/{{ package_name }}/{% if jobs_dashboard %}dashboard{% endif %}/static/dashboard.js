// The jobs dashboard: polls GET <base>/jobs a second after each answer and renders the table and a
// job's detail. One request in flight at a time; the list's ETag goes back in If-None-Match, so
// while no job changes the server answers 304 without reading a job, and nothing is redrawn.
// Plain DOM, no build step; every value from the server goes in as text, never as HTML.
"use strict";

const POLL_MS = 1000;
const LIMIT = 100;
const RETRYABLE = new Set(["failed", "interrupted", "dead", "uncertain"]);
const CANCELLABLE = new Set(["queued", "running"]);
// An uncertain job may have done its work already (a request sent, then no reply): a retry
// may do it twice, so the person confirms, and the request says they did.
const CONFIRM_RETRY = new Set(["uncertain"]);

const root = document.getElementById("dashboard");
const base = root.dataset.base;
const filters = document.getElementById("filters");
const body = document.querySelector("#jobs tbody");
const empty = document.getElementById("empty");
const more = document.getElementById("more");
const live = document.getElementById("live");
const detail = document.getElementById("detail");
const kinds = new Set();
let selected = null;
let selectedStatus = null;
let seen = null;
let polling = false;
let pollAgain = false;
let timer = null;
let listTag = null;

function signInAgain(response) {
  if (response.status === 401) {
    window.location.assign(base + "/login");
    return true;
  }
  return false;
}

async function getJson(path) {
  const response = await fetch(base + path, { headers: { Accept: "application/json" } });
  if (signInAgain(response) || !response.ok) {
    throw new Error(path + ": " + response.status);
  }
  return response.json();
}

function seconds(from, to) {
  if (!from || !to) {
    return "";
  }
  const ms = Math.max(0, Date.parse(to) - Date.parse(from));
  if (ms < 1000) {
    return Math.round(ms) + " ms";
  }
  if (ms < 60000) {
    return (ms / 1000).toFixed(1) + " s";
  }
  return Math.floor(ms / 60000) + " min " + Math.round((ms % 60000) / 1000) + " s";
}

function when(iso) {
  if (!iso) {
    return "";
  }
  const date = new Date(iso);
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay ? date.toLocaleTimeString() : date.toLocaleString();
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) {
    td.className = className;
  }
  return td;
}

function badge(status) {
  const span = document.createElement("span");
  span.className = "badge " + status;
  span.textContent = status;
  return span;
}

// What a job last said of its progress (`report_progress`): a bar when it gave a total.
function progress(job) {
  if (job.progress_done === null || job.progress_done === undefined) {
    return null;
  }
  const done = job.progress_done.toLocaleString();
  const span = document.createElement("span");
  span.className = "progress";
  if (job.progress_total) {
    const bar = document.createElement("progress");
    bar.max = job.progress_total;
    bar.value = Math.min(job.progress_done, job.progress_total);
    const percent = Math.floor((100 * bar.value) / job.progress_total);
    span.title = done + " of " + job.progress_total.toLocaleString() + " (" + percent + " %)";
    span.append(bar, " " + percent + " %");
  } else {
    span.textContent = done + " done";
  }
  return span;
}

function renderJobs(jobs) {
  const rows = jobs.map((job) => {
    const row = document.createElement("tr");
    row.dataset.id = job.id;
    row.dataset.status = job.status;
    row.tabIndex = 0;
    if (job.id === selected) {
      row.classList.add("selected");
    }
    if (seen !== null && !seen.has(job.id)) {
      row.classList.add("new");
    }
    cell(row, job.id.slice(0, 8), "id").title = job.id;
    cell(row, job.kind);
    const status = row.insertCell();
    status.append(badge(job.status));
    const shown = job.status === "running" ? progress(job) : null;
    if (shown) {
      status.append(" ", shown);
    }
    cell(row, String(job.attempts), "number");
    cell(row, when(job.created_at)).title = job.created_at;
    cell(row, seconds(job.created_at, job.started_at), "number");
    cell(row, seconds(job.started_at, job.finished_at), "number");
    cell(row, job.error || "", "error").title = job.error || "";
    return row;
  });
  body.replaceChildren(...rows);
  empty.hidden = jobs.length > 0;
  more.hidden = jobs.length < LIMIT;
  seen = new Set(jobs.map((job) => job.id));
}

function renderKinds(jobs) {
  const before = kinds.size;
  jobs.forEach((job) => kinds.add(job.kind));
  if (kinds.size === before && filters.kind.options.length > 1) {
    return;
  }
  const chosen = filters.kind.value;
  const options = [...kinds].sort().map((kind) => new Option(kind, kind, false, kind === chosen));
  filters.kind.replaceChildren(new Option("any", ""), ...options);
}

function field(list, name, value) {
  const term = document.createElement("dt");
  term.textContent = name;
  const description = document.createElement("dd");
  description.textContent = value === null || value === undefined || value === "" ? "—" : value;
  list.append(term, description);
}

function renderDetail(job) {
  document.getElementById("detail-id").textContent = job.id;
  const list = document.getElementById("detail-fields");
  list.replaceChildren();
  const status = document.createElement("dd");
  status.append(badge(job.status));
  const statusTerm = document.createElement("dt");
  statusTerm.textContent = "status";
  list.append(statusTerm, status);
  field(list, "kind", job.kind);
  const reported = progress(job);
  if (reported) {
    const term = document.createElement("dt");
    term.textContent = "progress";
    const value = document.createElement("dd");
    value.append(reported);
    list.append(term, value);
  }
  field(list, "attempts", String(job.attempts));
  field(list, "created", job.created_at);
  field(list, "started", job.started_at);
  field(list, "finished", job.finished_at);
  field(list, "waited", seconds(job.created_at, job.started_at));
  field(list, "ran", seconds(job.started_at, job.finished_at));
  field(list, "owner", job.owner);
  field(list, "request id", job.request_id);
  field(list, "retry of", job.retry_of);
  const error = document.getElementById("detail-error");
  error.textContent = job.error || "";
  error.hidden = !job.error;
  const retryButton = document.getElementById("retry");
  retryButton.hidden = !RETRYABLE.has(job.status);
  retryButton.textContent = CONFIRM_RETRY.has(job.status) ? "Retry anyway…" : "Retry";
  document.getElementById("cancel").hidden = !CANCELLABLE.has(job.status); // control.js
  selectedStatus = job.status;
  detail.hidden = false;
}

async function showDetail(jobId) {
  if (jobId !== selected) {
    document.getElementById("retry-result").textContent = "";
  }
  selected = jobId;
  body.querySelectorAll("tr").forEach((row) => {
    row.classList.toggle("selected", row.dataset.id === jobId);
  });
  renderDetail(await getJson("/jobs/" + encodeURIComponent(jobId)));
}

function closeDetail() {
  selected = null;
  detail.hidden = true;
  body.querySelectorAll("tr.selected").forEach((row) => row.classList.remove("selected"));
}

async function retry() {
  const result = document.getElementById("retry-result");
  let path = base + "/jobs/" + encodeURIComponent(selected) + "/retry";
  if (CONFIRM_RETRY.has(selectedStatus)) {
    const question =
      "This job may have done its work already: " +
      (document.getElementById("detail-error").textContent || "its outcome is unknown") +
      ".\n\nRun it again anyway? Its work may then be done twice.";
    if (!window.confirm(question)) {
      result.textContent = "Not retried.";
      return;
    }
    path += "?confirm=true";
  }
  const response = await fetch(path, {
    method: "POST",
    headers: { Accept: "application/json", "X-Dashboard": "1" },
  });
  if (signInAgain(response)) {
    return;
  }
  if (!response.ok) {
    const reason = await response.json().catch(() => ({}));
    result.textContent = "Not retried: " + (reason.detail || response.status);
    return;
  }
  const answer = await response.json().catch(() => ({}));
  const retried = selected;
  await poll();
  if (answer.job_id) {
    await showDetail(answer.job_id);
  }
  result.textContent = "Retried " + retried.slice(0, 8) + ": this is the new attempt.";
}

function query() {
  const params = new URLSearchParams({ limit: String(LIMIT) });
  for (const name of ["status", "kind"]) {
    if (filters[name].value) {
      params.set(name, filters[name].value);
    }
  }
  return params;
}

// The jobs, or null when none has changed since the answer tagged `listTag`.
async function changedJobs() {
  const headers = { Accept: "application/json" };
  if (listTag !== null) {
    headers["If-None-Match"] = listTag;
  }
  // no-store: the 304 comes to this script instead of being swapped for the cached answer.
  const response = await fetch(base + "/jobs?" + query(), { headers, cache: "no-store" });
  if (response.status === 304) {
    return null;
  }
  if (signInAgain(response) || !response.ok) {
    throw new Error("/jobs: " + response.status);
  }
  const jobs = await response.json();
  listTag = response.headers.get("ETag");
  return jobs;
}

async function poll() {
  if (polling) {
    pollAgain = true;
    return;
  }
  polling = true;
  window.clearTimeout(timer);
  try {
    const jobs = await changedJobs();
    if (jobs !== null) {
      renderKinds(jobs);
      renderJobs(jobs);
      if (selected !== null) {
        renderDetail(await getJson("/jobs/" + encodeURIComponent(selected)));
      }
    }
    live.classList.remove("stale");
    live.textContent = "live";
  } catch (error) {
    live.classList.add("stale");
    live.textContent = "reconnecting…";
  } finally {
    polling = false;
    scheduleNext();
  }
}

// The next poll a second after this answer (a slow server is asked less often, never twice at
// once); right away if something asked for one meanwhile; none while the tab is hidden.
function scheduleNext() {
  window.clearTimeout(timer);
  timer = null;
  if (pollAgain) {
    pollAgain = false;
    poll();
  } else if (!document.hidden) {
    timer = window.setTimeout(poll, POLL_MS);
  }
}

function onFilterChange() {
  const params = query();
  params.delete("limit");
  const search = params.toString();
  history.replaceState(null, "", search ? "?" + search : window.location.pathname);
  seen = null;
  listTag = null;
  poll();
}

function start() {
  const params = new URLSearchParams(window.location.search);
  filters.status.value = params.get("status") || "";
  if (params.get("kind")) {
    kinds.add(params.get("kind"));
    renderKinds([]);
    filters.kind.value = params.get("kind");
  }
  filters.addEventListener("change", onFilterChange);
  filters.addEventListener("submit", (event) => event.preventDefault());
  body.addEventListener("click", (event) => {
    const row = event.target.closest("tr");
    if (row) {
      showDetail(row.dataset.id);
    }
  });
  body.addEventListener("keydown", (event) => {
    const row = event.target.closest("tr");
    if (row && event.key === "Enter") {
      showDetail(row.dataset.id);
    }
  });
  document.getElementById("detail-close").addEventListener("click", closeDetail);
  document.getElementById("retry").addEventListener("click", retry);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      poll();
    }
  });
  poll();
}

start();
