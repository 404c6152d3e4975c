"""Tracked jobs against the code users write without this template, interleaved in one run.

Workloads (each a wrk run of `seconds` at 20 connections, every workload once per round):
the empty job (plain BackgroundTasks, tracked on SQLite, tracked on PostgreSQL,
fastapi-taskflow), POST /files (docs-style `def` task vs tracked) and POST /emails
(BackgroundTasks + fastapi-mail vs tracked, both through the same SMTP server).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import profiles
from destinations import (
    duplicates,
    jobs_by_status,
    received,
    received_at,
    smtp_server,
    smtp_settings,
)
from load import LoadResult, wrk
from processes import LOADGEN_CPU, Server, free_port, pin, serve
from project import OUT, Project
from report import Report

CONNECTIONS = 20
EMPTY_BODY = '{"to": "someone@example.com", "subject": "empty {i}", "body": "Hello from bench."}'
EMAIL_BODY = '{"to": "someone@example.com", "subject": "%s {i}", "body": "Hello from bench."}'
CONTENT = ("0123456789abcdef" * 64)[:1000]
FILE_BODY = '{"file_name": "%s-{i}.txt", "content": "' + CONTENT + '"}'


@dataclass(frozen=True)
class Workload:
    name: str
    app: str
    path: str
    body: str
    label: str

    def body_for(self, run: str) -> str:
        return self.body % run if "%s" in self.body else self.body


WORKLOADS = [
    Workload("plain-empty", "plain", "/empty", EMPTY_BODY, "plain BackgroundTasks, empty job"),
    Workload("tracked-empty", "tracked", "/job-only", EMPTY_BODY, "tracked empty job, SQLite"),
    Workload(
        "tracked-empty-bare",
        "tracked-bare",
        "/job-only",
        EMPTY_BODY,
        "tracked empty job, SQLite, without metrics and X-Request-ID",
    ),
    Workload(
        "tracked-empty-quiet",
        "tracked-quiet",
        "/job-only",
        EMPTY_BODY,
        "tracked empty job, SQLite, JOBS_LOG_OUTCOMES=false",
    ),
    Workload(
        "tracked-empty-pg", "tracked-pg", "/job-only", EMPTY_BODY, "tracked empty job, PostgreSQL"
    ),
    Workload("taskflow-empty", "taskflow", "/empty", EMPTY_BODY, "fastapi-taskflow, empty job"),
    Workload("plain-files", "plain", "/files", FILE_BODY, "docs-style def task, 1 KB file"),
    Workload("tracked-files", "tracked", "/files", FILE_BODY, "tracked POST /files, 1 KB"),
    Workload("fastapi-mail", "fastapi-mail", "/emails", EMAIL_BODY, "BackgroundTasks+fastapi-mail"),
    Workload("tracked-email", "tracked", "/emails", EMAIL_BODY, "tracked POST /emails, SMTP"),
]
GOAL_SIDES = [
    "plain-empty", "tracked-empty", "tracked-empty-pg", "plain-files", "tracked-files",
    "fastapi-mail", "tracked-email",
]  # fmt: skip
"""The workloads on either side of a goal: profiled, so a goal not met says where time went."""
TRACKED_KINDS = {"tracked-empty": "job_only", "tracked-files": "files", "tracked-email": "email"}


@contextlib.contextmanager
def postgres_database(name: str) -> Iterator[str | None]:
    """A fresh database on the machine's PostgreSQL (127.0.0.1:5432), dropped afterwards."""
    admin = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qAtc"]
    if shutil.which("psql") is None:
        yield None
        return
    created = subprocess.run([*admin, f"CREATE DATABASE {name}"], capture_output=True, text=True)
    if created.returncode != 0:
        yield None
        return
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        subprocess.run([*admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False)


def postgres_jobs(url: str, kind: str) -> dict[str, int]:
    rows = subprocess.run(
        ["psql", url, "-qAtF", " ", "-c",
         f"SELECT status, count(*) FROM jobs WHERE kind = '{kind}' GROUP BY status"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return {rows[i]: int(rows[i + 1]) for i in range(0, len(rows), 2)}


def wait_for_delivery(log: Path, prefix: str, accepted: int, quiet: float = 1.0) -> list[float]:
    """Wait until at least `accepted` messages of the run arrived and no more come."""
    last, since = -1, time.monotonic()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        count = len(received_at(log, prefix))
        if count != last:
            last, since = count, time.monotonic()
        elif count >= accepted and time.monotonic() - since >= quiet:
            break
        time.sleep(0.1)
    return received_at(log, prefix)


def peers(
    project: Project,
    postgres: Project | None,
    peers_python: Path,
    report: Report,
    seconds: int,
    rounds: int,
    profile: list[str] | None = None,
) -> None:
    workdir = OUT / "peers"
    shutil.rmtree(workdir, ignore_errors=True)
    log = workdir / "smtp-received.txt"
    delivered: dict[str, list[float]] = {}
    database_name = f"bench_peers_{int(time.time())}"
    with contextlib.ExitStack() as stack:
        port = stack.enter_context(smtp_server(project, 0.0, log))
        url = stack.enter_context(postgres_database(database_name)) if postgres else None
        smtp = smtp_settings(port)
        envs = {
            "plain": project.env(workdir / "plain"),
            "fastapi-mail": project.env(workdir / "fastapi-mail", **smtp),
            "taskflow": project.env(workdir / "taskflow"),
            "tracked": project.env(workdir / "tracked", **smtp),
            "tracked-bare": project.env(workdir / "tracked-bare", BENCH_WITHOUT_OBSERVABILITY="1"),
            "tracked-quiet": project.env(workdir / "tracked-quiet", JOBS_LOG_OUTCOMES="false"),
        }
        commands = {
            "plain": project.uvicorn("plain_tasks_app:app", python=peers_python),
            "fastapi-mail": project.uvicorn("fastapi_mail_app:app", python=peers_python),
            "taskflow": project.uvicorn("taskflow_app:app", python=peers_python),
            "tracked": project.uvicorn("tracked_app:app"),
            "tracked-bare": project.uvicorn("tracked_app:app"),
            "tracked-quiet": project.uvicorn("tracked_app:app"),
        }
        if postgres is not None and url is not None:
            envs["tracked-pg"] = postgres.env(workdir / "tracked-pg", JOBS_DATABASE_URL=url)
            commands["tracked-pg"] = postgres.uvicorn("tracked_app:app")
        servers: dict[str, Server] = {
            name: stack.enter_context(serve(name, command, workdir / name, envs[name], free_port()))
            for name, command in commands.items()
        }
        workloads = [w for w in WORKLOADS if w.app in servers]
        for workload in workloads:  # warm every app and path up before measuring
            run = f"{workload.name}-warm"
            wrk(servers[workload.app], workload.path, workload.body_for(run), CONNECTIONS, 2)
            if workload.path == "/emails":
                wait_for_delivery(log, run + " ", 0)
        results: dict[str, list[LoadResult]] = {w.name: [] for w in workloads}
        for number in range(rounds):
            for workload in workloads:
                run = f"{workload.name}-r{number}"
                result = wrk(
                    servers[workload.app],
                    workload.path,
                    workload.body_for(run),
                    CONNECTIONS,
                    seconds,
                    target=workload.name,
                )
                if workload.path == "/emails":
                    stamps = wait_for_delivery(log, run + " ", result.accepted)
                    elapsed = max(stamps) - result.started if stamps else float("inf")
                    delivered.setdefault(workload.name, []).append(len(stamps) / elapsed)
                results[workload.name].append(result)
                report.loads.append(result)
        for workload in workloads:
            if workload.name in (profile or []):
                profiled(servers[workload.app], workload, seconds, log, report)
        # Let the tracked services record every job's end before their stores are read.
        time.sleep(2)
        checks = check_records(report, workdir, results, log, url)
    for workload in workloads:
        report.labels[workload.name] = workload.label
    summarise(report, workloads, results, delivered, checks, postgres is not None and url is None)


def profiled(server: Server, workload: Workload, seconds: int, log: Path, report: Report) -> None:
    """One more run (not in the figures): where the server's CPU went, per request."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    out = OUT / f"profile-{workload.name}.txt"
    command = [
        *pin(LOADGEN_CPU), spy, "record", "--pid", str(server.process.pid), "--format", "raw",
        "--rate", "200", "--duration", str(seconds + 1), "--output", str(out), "--nonblocking",
        "--gil", "--threads",
    ]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as spy_run:
        time.sleep(1)
        run = f"{workload.name}-profile"
        before = profiles.thread_cpu(server.process.pid)
        result = wrk(server, workload.path, workload.body_for(run), CONNECTIONS, seconds)
        after = profiles.thread_cpu(server.process.pid)
        if workload.path == "/emails":
            wait_for_delivery(log, run + " ", 0)
        spy_run.wait(timeout=seconds + 30)
    report.profiles[workload.name] = profiles.per_request(out, before, after, result.requests)
    report.add(
        "profiles", f"{workload.label}: py-spy (raw, collapsed stacks)", f"bench/out/{out.name}"
    )


def check_records(
    report: Report,
    workdir: Path,
    results: dict[str, list[LoadResult]],
    log: Path,
    postgres_url: str | None,
) -> dict[str, bool]:
    """Every tracked job recorded (>= the 202s wrk counted) and succeeded; email exactly once."""
    ok: dict[str, bool] = {}
    subjects = received(log)
    for name, kind in TRACKED_KINDS.items():
        statuses = jobs_by_status(workdir / "tracked" / "var" / "jobs.sqlite3", kind)
        accepted = sum(r.accepted for r in results.get(name, []))
        recorded = sum(statuses.values())
        ok[name] = statuses.get("succeeded", 0) == recorded >= accepted
        detail = f"{accepted} 202s counted by wrk (all rounds); records {json.dumps(statuses)}"
        if name == "tracked-email":
            mine = [s for s in subjects if s.startswith("tracked-email-")]
            twice = duplicates(mine)
            ok[name] = ok[name] and twice == 0 and len(mine) == recorded
            detail += f"; SMTP server received {len(mine)}, {twice} more than once"
        report.add("peers: records", f"tracked, {kind}", detail)
    if postgres_url is not None and "tracked-empty-pg" in results:
        statuses = postgres_jobs(postgres_url, "job_only")
        accepted = sum(r.accepted for r in results["tracked-empty-pg"])
        recorded = sum(statuses.values())
        ok["tracked-empty-pg"] = statuses.get("succeeded", 0) == recorded >= accepted
        report.add(
            "peers: records",
            "tracked on PostgreSQL, job_only",
            f"{accepted} 202s counted by wrk; records {json.dumps(statuses)}",
        )
    theirs = [s for s in subjects if s.startswith("fastapi-mail-")]
    accepted = sum(r.accepted for r in results.get("fastapi-mail", []))
    report.add(
        "peers: records",
        "fastapi-mail: messages received by the SMTP server",
        f"{len(theirs)} for {accepted} 202s counted by wrk, {duplicates(theirs)} more than once",
    )
    return ok


def summarise(
    report: Report,
    workloads: list[Workload],
    results: dict[str, list[LoadResult]],
    delivered: dict[str, list[float]],
    checks: dict[str, bool],
    postgres_missing: bool,
) -> None:
    def median(name: str, value: Callable[[LoadResult], float]) -> float:
        return statistics.median(value(result) for result in results[name])

    rps = {w.name: median(w.name, lambda r: r.rps) for w in workloads}
    p50 = {w.name: median(w.name, lambda r: r.percentiles_ms["p50"]) for w in workloads}
    p99 = {w.name: median(w.name, lambda r: r.percentiles_ms["p99"]) for w in workloads}
    cpu_ms = {w.name: median(w.name, lambda r: 1000 * r.server_cpu / r.rps) for w in workloads}
    section = f"peers, {CONNECTIONS} conns"
    for w in workloads:
        runs = results[w.name]
        cores = [statistics.median(r.cores_busy[i] for r in runs) for i in range(2)]
        errors = sum(r.non2xx + r.socket_errors for r in runs)
        rate = (
            f"; {statistics.median(delivered[w.name]):.0f} emails delivered/s"
            if w.name in delivered
            else ""
        )
        report.add(
            section,
            f"{w.label}: req/s, p50, p99, server CPU/req; core 0 (server), core 1 (load, SMTP)"
            f" busy; errors (median of {len(runs)})",
            f"{rps[w.name]:.0f} req/s, {p50[w.name]:.2f} ms, {p99[w.name]:.2f} ms,"
            f" {cpu_ms[w.name]:.3f} ms; {cores[0]:.0%}, {cores[1]:.0%}; {errors}{rate}",
        )

    def ratios(ours: str, theirs: str) -> tuple[float, float, float, float]:
        return (
            rps[ours] / rps[theirs],
            p50[ours] / p50[theirs],
            p99[ours] / p99[theirs],
            cpu_ms[ours] / cpu_ms[theirs],
        )

    def row(ours: str, theirs: str) -> tuple[float, float, float, float]:
        r = ratios(ours, theirs)
        report.add(
            "peers: ratios",
            f"{labels[ours]} / {labels[theirs]}: req/s, p50, p99, CPU per request",
            f"{r[0]:.2f}x, {r[1]:.2f}x, {r[2]:.2f}x, {r[3]:.2f}x",
        )
        return r

    labels = {w.name: w.label for w in workloads}

    def why(ours: str, theirs: str) -> str:
        """Where `ours` spends more CPU per request than `theirs`, if both were profiled."""
        if ours not in report.profiles or theirs not in report.profiles:
            return ""
        deltas = profiles.difference(report.profiles[ours], report.profiles[theirs])
        return f"Profiles: {labels[ours]} vs {labels[theirs]}: {profiles.describe(deltas)}"

    if "tracked-email" in rps and "fastapi-mail" in rps:
        r = row("tracked-email", "fastapi-mail")
        rate = statistics.median(delivered["tracked-email"]) / statistics.median(
            delivered["fastapi-mail"]
        )
        report.add(
            "peers: ratios", "tracked email / fastapi-mail: emails delivered/s", f"{rate:.2f}x"
        )
        goal = "tracked email vs BackgroundTasks + fastapi-mail"
        explained = why("tracked-email", "fastapi-mail")
        report.goal(
            f"{goal}: delivered emails/s", ">= 1.5x", f"{rate:.2f}x", rate >= 1.5, explained
        )
        report.goal(f"{goal}: accepted req/s", ">= 1.0x", f"{r[0]:.2f}x", r[0] >= 1.0)
        report.goal(f"{goal}: p50", "<= 1.0x", f"{r[1]:.2f}x", r[1] <= 1.0)
        report.goal(f"{goal}: p99", "<= 1.0x", f"{r[2]:.2f}x", r[2] <= 1.0)
        report.goal(
            f"{goal}: every job recorded before its 202, every message delivered exactly once",
            "all",
            "all" if checks.get("tracked-email") else "see peers: records",
            bool(checks.get("tracked-email")),
        )
    if "tracked-empty" in rps:
        r = row("tracked-empty", "plain-empty")
        name = "tracked empty job (SQLite) vs plain BackgroundTasks"
        explained = why("tracked-empty", "plain-empty")
        report.goal(f"{name}: accepted req/s", ">= 0.85x", f"{r[0]:.2f}x", r[0] >= 0.85, explained)
        report.goal(f"{name}: p99", "<= 1.0x", f"{r[2]:.2f}x", r[2] <= 1.0, explained)
    if "tracked-empty-bare" in rps:
        r = row("tracked-empty", "tracked-empty-bare")
        report.goal(
            "metrics and X-Request-ID middleware: tracked empty job's accepted req/s with them"
            " vs without",
            ">= 0.9x (cost <= 10%)",
            f"{r[0]:.2f}x",
            r[0] >= 0.9,
        )
    if "tracked-empty-quiet" in rps:
        r = row("tracked-empty", "tracked-empty-quiet")
        report.goal(
            "one INFO line per finished job (JOBS_LOG_OUTCOMES): tracked empty job's accepted"
            " req/s with it vs without",
            ">= 0.95x (cost <= 5%)",
            f"{r[0]:.2f}x",
            r[0] >= 0.95,
        )
    if "tracked-empty-pg" in rps:
        r = row("tracked-empty-pg", "plain-empty")
        name = "tracked empty job (PostgreSQL) vs plain BackgroundTasks"
        explained = why("tracked-empty-pg", "plain-empty")
        report.goal(f"{name}: accepted req/s", ">= 0.7x", f"{r[0]:.2f}x", r[0] >= 0.7, explained)
        report.goal(f"{name}: p99", "<= 1.0x", f"{r[2]:.2f}x", r[2] <= 1.0, explained)
    elif postgres_missing:
        report.goal(
            "tracked empty job (PostgreSQL) vs plain BackgroundTasks",
            ">= 0.7x",
            "not measured: no PostgreSQL on 127.0.0.1:5432",
            False,
        )
    if "taskflow-empty" in rps:
        row("taskflow-empty", "plain-empty")
        row("tracked-empty", "taskflow-empty")
    if "tracked-files" in rps:
        r = row("tracked-files", "plain-files")
        name = "tracked POST /files vs docs-style BackgroundTasks def task"
        explained = why("tracked-files", "plain-files")
        report.goal(f"{name}: accepted req/s", ">= 0.95x", f"{r[0]:.2f}x", r[0] >= 0.95, explained)
        report.goal(f"{name}: p99", "<= 1.0x", f"{r[2]:.2f}x", r[2] <= 1.0, explained)
    for name, ok in checks.items():
        if not ok and name != "tracked-email":
            report.unmet.append(
                f"{labels.get(name, name)}: job records incomplete (peers: records)"
            )
    errors = sum(r.non2xx + r.socket_errors for rs in results.values() for r in rs)
    if errors:
        report.unmet.append(f"peers: {errors} non-2xx responses or socket errors")
