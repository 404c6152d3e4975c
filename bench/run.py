"""Measure the generated service on real processes: python bench/run.py

Renders a project with every feature on (and one with `jobs_store=postgresql`), installs
their dependencies into venvs under bench/out/, and measures, in one run:

- peers (phases/peers.py): tracked jobs against the code users write without this
  template, interleaved: plain BackgroundTasks, the docs-style `def` task writing a file,
  BackgroundTasks + fastapi-mail through the same SMTP server, fastapi-taskflow; the
  tracked empty job on SQLite and on PostgreSQL;
- retention (phases/retention.py): POST /files p99 while 1,000,000 expired records are
  pruned vs without the prune, and the query plans of GET /jobs at that size;
- delivery (phases/delivery.py): email through a slow SMTP server;
- no loss (phases/no_loss.py): thousands of emails and files, then every one is checked;
- crash (phases/crash.py): 1000 accepted emails through SIGTERM, kill -9 and two workers,
  the tracked service vs fastapi-taskflow, counted at the SMTP server;
- chaos (phases/chaos.py): three processes on one store, killed and paused at random
  every 2-3 s for 60 s while 3,000 mixed jobs arrive, on SQLite and on PostgreSQL;
- dashboard (phases/dashboard.py): 100 dashboard tabs polling the jobs list for 60 s: the
  server's RSS before and after, POST /emails p50 idle and while they poll;
- celery (phases/celery.py): enqueue latency and request-to-SUCCESS on Redis;
- systems (phases/job_systems.py): the same no-op job, then the same email, through the
  tracked runner (SQLite, PostgreSQL), procrastinate, pgqueuer, saq, arq and Celery:
  accepted and completed rates, latency, CPU per job, what kill -9 of web and workers loses
  (at the stamps, the SMTP server and in each system's own records), and the store-level
  rates beside pgqueuer's and procrastinate's loops;
- template (phases/template.py): `copier copy` and the test suites' wall time.

The pieces: processes.py (start, pin, stop, core usage), project.py (render, venvs),
load.py (wrk, async client), destinations.py (SMTP log, jobs database), profiles.py
(where a server's CPU goes per request, for both sides of every goal), report.py
(docs/benchmarks.md and its plot), apps/ (the apps under test), tools/ (what runs in the
project's venv: wrk script, async client, SMTP server).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path

from phases.celery import celery
from phases.chaos import chaos
from phases.crash import crash
from phases.dashboard import dashboard_tabs
from phases.delivery import delivery
from phases.job_systems import job_systems
from phases.no_loss import no_loss
from phases.peers import GOAL_SIDES, peers
from phases.retention import retention
from phases.template import template_cost
from project import (
    DOCS,
    OUT,
    Project,
    arq_environment,
    peers_environment,
    project_environment,
    render_project,
)
from report import Report, plot, write_markdown

PHASES = [
    "peers",
    "retention",
    "delivery",
    "loss",
    "crash",
    "chaos",
    "dashboard",
    "celery",
    "systems",
    "template",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of each run")
    parser.add_argument(
        "--messages", type=int, default=2000, help="requests per kind, no-loss phase"
    )
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="expired job records, retention phase"
    )
    parser.add_argument("--jobs", nargs="*", help="background_jobs answer (default: all)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument(
        "--kill-jobs", type=int, default=1000, help="requests per system, kill -9 (systems)"
    )
    parser.add_argument(
        "--email-rounds", type=int, default=1, help="interleaved rounds of the email job (systems)"
    )
    parser.add_argument(
        "--store-jobs", type=int, default=5000, help="jobs per store-level loop (systems)"
    )
    parser.add_argument(
        "--recovery", type=float, default=60, help="s after a kill -9 restart (systems)"
    )
    parser.add_argument(
        "--template-suite", action="store_true", help="also run the template's whole test suite"
    )
    parser.add_argument("--only", nargs="*", default=PHASES, choices=PHASES)
    parser.add_argument(
        "--profile",
        nargs="*",
        default=GOAL_SIDES,
        help="peers workloads to profile afterwards (default: both sides of every goal)",
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="Dirty template changes included automatically")
    if shutil.which("wrk") is None:
        raise SystemExit("bench needs wrk (Debian/Ubuntu: apt-get install wrk)")
    OUT.mkdir(exist_ok=True)
    DOCS.mkdir(exist_ok=True)
    path, _ = render_project(OUT / "project", args.jobs)
    project = Project(path, project_environment(path))
    report = Report()
    postgres = None
    if {"peers", "systems"} & set(args.only):
        pg_path, _ = render_project(OUT / "project-postgresql", args.jobs, jobs_store="postgresql")
        postgres = Project(pg_path, project_environment(pg_path, "venv-postgresql"))
    phases: dict[str, Callable[[], object]] = {
        "peers": lambda: peers(
            project, postgres, peers_python(), report, args.seconds, args.rounds, args.profile
        ),
        "retention": lambda: retention(project, report, args.rows, args.seconds, args.rounds),
        "delivery": lambda: delivery(project, report, 300),
        "loss": lambda: no_loss(project, report, args.messages),
        "crash": lambda: crash(project, peers_python(), report),
        "chaos": lambda: chaos(report),
        "dashboard": lambda: dashboard_tabs(project, report),
        "celery": lambda: celery(project, report, 200, args.redis_url),
        "systems": lambda: job_systems(
            project,
            postgres,
            peers_python(),
            arq_environment(project.python),
            report,
            args.seconds,
            (args.rounds, args.email_rounds),
            args.kill_jobs,
            args.store_jobs,
            args.recovery,
        ),
        "template": lambda: template_cost(project, report, 3, args.template_suite),
    }

    def peers_python() -> Path:
        report.peers_python = report.peers_python or peers_environment(project.python)
        return report.peers_python

    for name in PHASES:
        if name not in args.only:
            continue
        try:
            phases[name]()
        except Exception as error:
            traceback.print_exc()
            report.unmet.append(f"phase {name} failed, not measured: {error!r}"[:500])
    command = "python bench/run.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    plot(report, DOCS / "benchmarks.png")
    write_markdown(report, project, command, DOCS / "benchmarks.md")
    print(f"\nwrote {DOCS / 'benchmarks.md'} and {DOCS / 'benchmarks.png'}")
    for item in report.unmet:
        print(f"NOT MET: {item}")


if __name__ == "__main__":
    main()
