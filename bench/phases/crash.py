"""Crashes: 1000 accepted emails through a stop, the tracked service vs fastapi-taskflow.

Each app gets 1000 POST /emails; the SMTP server takes 200 ms a message and each app sends
at most 10 at once (about 20 s of work). Two seconds after the last 202, the app is stopped:
SIGTERM with a 3 s grace, kill -9, or SIGTERM to two uvicorn workers sharing one store.
It is started again and given time until no message has arrived for 10 s. Then the SMTP
server's log says which of the 1000 arrived, which arrived twice, which never did.
"""

from __future__ import annotations

import collections
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from destinations import jobs_by_status, received, smtp_server, smtp_settings
from load import client
from processes import free_port, serve
from project import OUT, PACKAGE, Project
from report import Report

JOBS = 1000
SMTP_DELAY = 0.2
IN_FLIGHT = "10"
GRACE = "3"
QUIET = 10.0
BODY = '{"to": "someone@example.com", "subject": "crash {i}", "body": "Hello from bench."}'
SCENARIOS = {
    "SIGTERM, 3 s grace": (signal.SIGTERM, 1),
    "kill -9": (signal.SIGKILL, 1),
    "2 workers, SIGTERM": (signal.SIGTERM, 2),
}


def crash(project: Project, peers_python: Path, report: Report) -> None:
    apps = {
        "tracked": lambda *extra: project.uvicorn(f"{PACKAGE}.app:create_app", "--factory", *extra),
        "fastapi-taskflow": lambda *extra: project.uvicorn(
            "taskflow_app:app", *extra, python=peers_python
        ),
    }
    for scenario, (stop_signal, workers) in SCENARIOS.items():
        for name, command in apps.items():
            extra = ("--timeout-graceful-shutdown", GRACE, "--workers", str(workers))
            outcome = stop_and_restart(project, name, command(*extra), stop_signal)
            report.add("crash", f"{name}: {scenario}", outcome.describe())
            if name == "tracked":
                # Lost may only be what was cut off mid-run and recorded interrupted (an email
                # may have gone out); sent twice, nothing.
                interrupted = outcome.records.get("interrupted", 0)
                report.goal(
                    f"crash, {scenario}: every accepted email that never started is sent once",
                    "never delivered <= recorded interrupted, none twice",
                    f"{outcome.never} never delivered, {interrupted} interrupted, "
                    f"{outcome.twice} twice",
                    outcome.never <= interrupted and outcome.twice == 0,
                )


@dataclass
class Outcome:
    accepted: int
    before_restart: int
    delivered: int
    twice: int
    records: dict[str, int]

    @property
    def never(self) -> int:
        return JOBS - self.delivered

    def describe(self) -> str:
        text = (
            f"{self.accepted} accepted; {self.delivered} delivered ({self.before_restart} before"
            f" the restart), {self.twice} twice, {self.never} never"
        )
        return text + (f"; records {self.records}" if self.records else "")


def stop_and_restart(
    project: Project, name: str, command: list[str], stop_signal: signal.Signals
) -> Outcome:
    workdir = OUT / "crash" / name.replace(" ", "-")
    shutil.rmtree(workdir, ignore_errors=True)
    log = workdir / "smtp-received.txt"
    with smtp_server(project, SMTP_DELAY, log) as port:
        env = project.env(
            workdir,
            **smtp_settings(port),
            SMTP_MAX_CONNECTIONS=IN_FLIGHT,
            SHUTDOWN_TIMEOUT=GRACE,
            JOBS_LEASE_SECONDS="2",
        )
        with serve(name, command, workdir, env, free_port()) as server:
            accepted = sum(
                status == 202
                for _, status, _, _ in client(project, server, "/emails", JOBS, 50, BODY)["results"]
            )
            time.sleep(2)
            server.process.send_signal(stop_signal)
            server.process.wait(timeout=60)
        before_restart = len(received(log))
        with serve(name + "-restarted", command, workdir, env, free_port()):
            wait_until_quiet(log)
        subjects = collections.Counter(received(log))
    records = (
        dict(sorted(jobs_by_status(Path(env["JOBS_DB"])).items())) if name == "tracked" else {}
    )
    return Outcome(
        accepted=accepted,
        before_restart=before_restart,
        delivered=sum(1 for i in range(JOBS) if subjects[f"crash {i}"] >= 1),
        twice=sum(1 for count in subjects.values() if count > 1),
        records=records,
    )


def wait_until_quiet(log: Path, timeout: float = 180) -> None:
    """Until every message arrived, or none has for QUIET seconds."""
    count, since = -1, time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = len(set(received(log)))
        if now >= JOBS:
            return
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= QUIET:
            return
        time.sleep(0.2)
