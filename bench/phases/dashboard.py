"""Dashboard tabs: 100 tabs polling the jobs list for 60 s, as dashboard.js polls it.

One service holding ten large file jobs (2 MB of arguments each) among 100 jobs. Its RSS
before the tabs open and after they close; POST /emails p50 one at a time, idle and while
the tabs poll; and what the polls cost: how many were answered 304 (no job read) and how
many in full. The tabs poll through a quiet stretch first (nothing changes: 304s), then
through the POST /emails run (every poll sees new jobs: full answers). Then the floor: the
same tabs polling GET /health, which reads no store, while POST /emails runs again.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import statistics
import time
import urllib.request
from pathlib import Path

from load import client, latencies_ms, percentile
from processes import LOADGEN_CPU, Server, background, free_port, pin, serve
from project import OUT, PACKAGE, TOOLS, Project
from report import Report

TABS = 100
EMAIL_BODY = '{"to": "someone@example.com", "subject": "bench {i}", "body": "Hello from bench."}'
LARGE_FILES = 10
LARGE_CONTENT = "é" * 1_000_000  # the largest content POST /files takes: 2 MB as UTF-8
POSTS = 200


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def post_json(server: Server, path: str, body: dict[str, str]) -> None:
    request = urllib.request.Request(
        server.url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 202, response.status


def stored_arguments_mb(database: Path) -> float:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        total = connection.execute("SELECT sum(length(CAST(arguments AS BLOB))) FROM jobs")
        return int(total.fetchone()[0] or 0) / 1e6


def poll_while_posting(
    project: Project, server: Server, path: str, seconds: int, out: Path
) -> tuple[list[float], float]:
    """TABS tabs poll `path` for `seconds`; after the first third, POST /emails one at a
    time. Returns the POSTs' latencies (ms) and the server's peak RSS (MB)."""
    peak = rss_mb(server.process.pid)
    command = [
        *pin(LOADGEN_CPU), str(project.python), str(TOOLS / "tabs.py"), server.url, path,
        str(TABS), str(seconds), str(out),
    ]  # fmt: skip
    started = time.monotonic()
    with background(command, server.workdir) as tabs:  # returns once every tab has an answer
        while time.monotonic() < started + seconds / 3:
            peak = max(peak, rss_mb(server.process.pid))
            time.sleep(0.5)
        busy = latencies_ms(client(project, server, "/emails", POSTS, 1, EMAIL_BODY))
        while tabs.poll() is None:
            peak = max(peak, rss_mb(server.process.pid))
            time.sleep(0.5)
    return busy, peak


def dashboard_tabs(project: Project, report: Report, seconds: int = 60) -> None:
    workdir = OUT / "dashboard"
    shutil.rmtree(workdir, ignore_errors=True)
    env = project.env(workdir)
    app = project.uvicorn(f"{PACKAGE}.app:create_app", "--factory")
    polls_out = workdir / "polls.json"
    with serve("dashboard", app, workdir, env, free_port()) as server:
        for number in range(LARGE_FILES):
            post_json(
                server, "/files", {"file_name": f"large-{number}.txt", "content": LARGE_CONTENT}
            )
        client(project, server, "/emails", TABS - LARGE_FILES, 10, EMAIL_BODY)
        time.sleep(2)  # the jobs finish; the service settles
        idle = latencies_ms(client(project, server, "/emails", POSTS, 1, EMAIL_BODY))
        rss_before = rss_mb(server.process.pid)
        path = f"/dashboard/jobs?limit={TABS}"
        busy, peak = poll_while_posting(project, server, path, seconds, polls_out)
        time.sleep(2)
        rss_after = rss_mb(server.process.pid)
        # The floor: as many requests as the tabs make, to an endpoint that reads no store.
        control, _ = poll_while_posting(
            project, server, "/health", seconds // 3, workdir / "h.json"
        )
        arguments_mb = stored_arguments_mb(Path(env["JOBS_DB"]))
    polls = json.loads(polls_out.read_text())["results"]
    full = [poll for poll in polls if poll[0] == 200]
    not_modified = [poll for poll in polls if poll[0] == 304]
    poll_ms = [poll[1] * 1000 for poll in polls]
    section = f"dashboard, {TABS} tabs"
    report.add(
        section,
        f"{LARGE_FILES} file jobs of {len(LARGE_CONTENT):,} 'é' each: arguments as stored",
        f"{arguments_mb:.1f} MB (UTF-8; ASCII-escaped JSON would be ~3x)",
    )
    report.add(
        section,
        f"polls of GET /dashboard/jobs?limit={TABS} in {seconds} s: 304, full, other",
        f"{len(not_modified)}, {len(full)}, {len(polls) - len(full) - len(not_modified)}",
    )
    report.add(
        section,
        "poll latency p50, p99; bytes of a full answer (median)",
        f"{percentile(poll_ms, 50):.1f} ms, {percentile(poll_ms, 99):.1f} ms;"
        f" {statistics.median(poll[2] for poll in full) if full else 0:,.0f}",
    )
    report.add(
        section,
        "server RSS before the tabs, peak, after they closed",
        f"{rss_before:.0f} MB, {peak:.0f} MB, {rss_after:.0f} MB",
    )
    idle_p50, busy_p50 = percentile(idle, 50), percentile(busy, 50)
    report.add(
        section,
        f"POST /emails one at a time p50: idle, while {TABS} tabs poll",
        f"{idle_p50:.2f} ms, {busy_p50:.2f} ms ({busy_p50 / idle_p50:.2f}x)",
    )
    control_p50 = percentile(control, 50)
    report.add(
        section,
        f"the same, while {TABS} tabs poll GET /health instead (no store: the floor)",
        f"{control_p50:.2f} ms ({control_p50 / idle_p50:.2f}x idle)",
    )
    growth = rss_after - rss_before
    report.goal(
        f"server RSS after {TABS} dashboard tabs polled for {seconds} s",
        "RSS + < 50 MB",
        f"{growth:+.0f} MB",
        growth < 50,
    )
    report.goal(
        f"POST /emails p50 while {TABS} dashboard tabs poll",
        "POST /emails p50 within 20 % of idle",
        f"{busy_p50:.2f} ms vs {idle_p50:.2f} ms idle ({busy_p50 / idle_p50 - 1:+.0%})",
        busy_p50 <= 1.2 * idle_p50,
    )
