"""The report: rows and goals collected by the phases, written to docs/benchmarks.md + plot."""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import profiles
from load import LoadResult, percentile
from processes import LOADGEN_CPU, SERVER_CPU
from project import BENCH, Project, python_version


@dataclass
class Goal:
    name: str
    wanted: str
    measured: str
    met: bool


@dataclass
class Report:
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unmet: list[str] = field(default_factory=list)
    loads: list[LoadResult] = field(default_factory=list)
    latency_series: dict[str, list[float]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    """wrk target -> label in the plot."""
    peers_python: Path | None = None
    profiles: dict[str, dict[str, float]] = field(default_factory=dict)
    """workload -> part of the server (profiles.PARTS) -> µs of CPU per request."""
    sections: list[list[str]] = field(default_factory=list)
    """Markdown sections a phase writes itself (a table of its own), before the results."""

    def add(self, section: str, measure: str, value: str) -> None:
        self.rows.append((section, measure, value))
        print(f"{section:<24} {measure:<58} {value}", flush=True)

    def goal(self, name: str, wanted: str, measured: str, met: bool, why: str = "") -> None:
        """`why`, for a goal not met: where the extra CPU went (profiles.py), if profiled."""
        self.goals.append(Goal(name, wanted, measured, met))
        print(f"GOAL {'met' if met else 'NOT MET'}: {name}: {measured} ({wanted})", flush=True)
        if not met:
            self.unmet.append(f"{name}: {measured} (goal {wanted})" + (f". {why}" if why else ""))


VERSIONED = (
    "fastapi", "starlette", "uvicorn", "uvloop", "httptools", "pydantic", "aiosmtplib",
    "aiosmtpd", "httpx2", "psycopg", "celery", "kombu", "redis", "fastapi-mail",
    "fastapi-taskflow", "procrastinate", "pgqueuer", "asyncpg", "saq", "arq",
)  # fmt: skip


def installed(python: Path) -> dict[str, str]:
    code = (
        "import importlib.metadata as m\n"
        f"for name in {VERSIONED!r}:\n"
        "    try: print(name, m.version(name))\n"
        "    except m.PackageNotFoundError: pass\n"
    )
    listed = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return dict(line.split(" ", 1) for line in listed)


def versions(project: Project, peers: Path | None) -> str:
    found = installed(project.python)
    if peers is not None:
        for name, version in installed(peers).items():
            if found.setdefault(name, version) != version:
                found[name] += f" (peers: {version})"
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[:2]
    return ", ".join(
        [
            python_version(project.python),
            *(f"{name} {found[name]}" for name in VERSIONED if name in found),
            " ".join(wrk_version),
        ]
    )


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{os.cpu_count()} cores, {model}, {platform.system()} {platform.release()};"
        f" load average at the end of the run {load}"
    )


def plot(report: Report, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = ["p50", "p75", "p90", "p99", "p999"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(14, 5.5))
    for target, label in report.labels.items():
        runs = [r for r in report.loads if r.target == target]
        if runs:
            medians = [statistics.median(r.percentiles_ms[k] for r in runs) for k in keys]
            style = "-" if target.startswith("tracked") else "--"
            left.plot(keys, medians, style, marker="o", label=label)
    left.set_yscale("log")
    left.set_ylabel("latency (ms, log scale)")
    left.set_title("Tracked jobs (solid) vs the code users write (dashed); wrk, median of runs")
    if report.labels:
        left.legend(fontsize=7)
    qs = [50, 75, 90, 95, 99, 99.9]
    for label, values in report.latency_series.items():
        right.plot(
            [f"p{q:g}" for q in qs], [percentile(values, q) for q in qs], marker="o", label=label
        )
    right.set_yscale("log")
    right.set_ylabel("latency (ms, log scale)")
    right.set_title("Response latency by scenario")
    if report.latency_series:
        right.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


METHOD = f"""\
- Every app is one uvicorn process (`--no-access-log`; uvloop and httptools from
  `uvicorn[standard]`) with the same FastAPI, Starlette, uvicorn and pydantic: the generated
  project's venv, and for the peers a venv built with the project's exact versions as
  constraints plus `fastapi-mail` and `fastapi-taskflow`. Every app validates the same
  request models (the generated `EmailRequest` and `FileRequest`). The apps are in
  `bench/apps/`; the phases in `bench/phases/`, one module each.
- Peers, the code a user writes without this template: plain `BackgroundTasks` running an
  empty `async def` job; the docs-style `BackgroundTasks` with a `def` task (run in the
  thread pool) that writes the same 1 KB file atomically (temporary file + `os.replace`);
  `BackgroundTasks` + `fastapi-mail` (`FastMail.send_message`, one `ConnectionConfig`) against
  the same SMTP server; `fastapi-taskflow` with the settings its own docs give for production
  (`TaskManager(snapshot_db=..., snapshot_interval=30.0, requeue_pending=True)`,
  `TaskAdmin(app, task_manager, auto_install=True)`, `@task(retries=3, delay=1.0,
  backoff=2.0)`), running the same empty job.
- The tracked empty job: `POST /job-only` of `bench/apps/tracked_app.py`, in the generated
  service as its defaults make it (metrics and the X-Request-ID middleware on), matched as its
  first route as the plain app's `/empty` is among its three (FastAPI matches included routers
  one by one: the number of routes is not the job machinery's cost). The same app started with
  `BENCH_WITHOUT_OBSERVABILITY=1`, without the metrics middleware, the metrics job observer and
  the X-Request-ID middleware, prices those.
- Load: `wrk` (C, one thread, 20 connections, `bench/tools/post.lua` numbers every request's
  body so each message and file is unique) for the rates; an httpx2 async client in its own
  process where every response is needed (delivery, no loss).
- Cores: the servers are pinned to core {SERVER_CPU}; wrk, the async client, the SMTP server
  (aiosmtpd) and the Celery worker to core {LOADGEN_CPU} (`taskset`). How busy each core was
  during every wrk run (all processes, from `/proc/stat`) is in the tables: a server core
  near 100% means the server, not the load generator, set the rate.
- Interleaved: every app and workload takes its turn in each round (A B C ... A B C ...), so
  drift in the machine's load hits all of them; figures are medians of the rounds, ratios
  are computed from those medians within this one run.
- Email: after each run the bench waits until the SMTP server has received every message
  (and nothing more comes), before the next app's turn. Delivered emails/s = messages of that
  run / (last message received - start of the run). Exactly once: subjects are unique per
  request; the server's log is counted per subject. Tracked jobs: the jobs database is read
  directly after the runs (every job recorded and `succeeded`, at least one record per 202
  counted by wrk, one message per email job).
- Job systems (`bench/phases/job_systems.py`, its own section below says how in full): the
  tracked runner (SQLite; PostgreSQL) against procrastinate, pgqueuer, saq, arq and Celery
  (Redis, `acks_late`), each behind the same FastAPI endpoint and request model, each with the
  worker layout its own docs give (listed with the source). Unlike the phases above, web
  server and workers share both cores (`taskset -c 0,1`; wrk and the SMTP server on core
  {LOADGEN_CPU} with them), since a job system's workers are processes of their own. The
  peers' versions are pinned: their venvs are built with the project's exact versions as
  constraints, and the versions are printed in the section. Interleaved rounds (the `--rounds`
  of the other phases), each run on a fresh store; no-op job first, then the email job; then
  one kill -9 run per system, counted at the stamps, at the SMTP server and in the system's own
  records; then the store-level loops without HTTP."""


def where_time_goes(report: Report) -> list[str]:
    """The profiled workloads' CPU per request, part by part (profiles.py)."""
    if not report.profiles:
        return []
    header = ["Workload", *profiles.PARTS, "total"]
    rows = [
        [report.labels.get(name, name), *(f"{parts[part]:.0f}" for part in profiles.PARTS),
         f"{sum(parts.values()):.0f}"]
        for name, parts in report.profiles.items()
    ]  # fmt: skip
    return [
        "## Where the time goes",
        "",
        "µs of the server's CPU per request, in one extra wrk run per workload after the",
        "measured rounds: each thread's CPU from `/proc`, the event loop's split by",
        "`py-spy record --gil` samples (`bench/profiles.py`; raw stacks in",
        "`bench/out/profile-*.txt`). A goal not met names the parts that cost more, below.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]


def git(*args: str) -> str:
    here = Path(__file__).parent
    done = subprocess.run(["git", *args], cwd=here, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def checkout_commit() -> str:
    """The commit the template was rendered from, `+changes` when the tree had some."""
    changed = git("status", "--porcelain", "--", "../template")
    return (git("rev-parse", "--short", "HEAD") or "unknown") + ("+changes" if changed else "")


def write_markdown(report: Report, project: Project, command: str, path: Path) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Measured by `bench/run.py` on real processes over loopback; regenerate with:",
        "",
        f"```\n{command}\n```",
        "",
        f"- Machine: {machine()}.",
        f"- Versions: {versions(project, report.peers_python)}.",
        f"- Project: rendered from this checkout (commit {checkout_commit()}) "
        "with every feature on "
        "(async clients, audit log, email, files, reports on Celery with Redis); "
        "for the PostgreSQL rows, the same with `jobs_store=postgresql`.",
        "",
        "## How it is measured",
        "",
        METHOD,
        "",
        "## Goals",
        "",
        "| Goal | Wanted | Measured | Met |",
        "|---|---|---|---|",
        *(
            f"| {goal.name} | {goal.wanted} | {goal.measured} | {'yes' if goal.met else '**no**'} |"
            for goal in report.goals
        ),
        "",
        *where_time_goes(report),
        *(line for section in report.sections for line in section),
        "## Results",
        "",
        "![latency percentiles](benchmarks.png)",
        "",
        "| Phase | Measure | Value |",
        "|---|---|---|",
        *(f"| {section} | {measure} | {value} |" for section, measure, value in report.rows),
        "",
        "## Goals not met",
        "",
        *(
            [f"- {item}" for item in report.unmet]
            or ["- None: every goal above was met in this run."]
        ),
        "",
    ]
    if report.notes:
        lines += ["## Notes", "", *(f"- {note}" for note in report.notes), ""]
    lines.append((BENCH / "notes.md").read_text())
    path.write_text("\n".join(lines))
