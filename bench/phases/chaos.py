"""Chaos at full length: tests/test_chaos.py for 60 s and 3,000 jobs on each jobs store.

Three `serve` processes share one store (SQLite; PostgreSQL) while email, file and webhook
jobs are posted all along, and every 2-3 s a random process is SIGKILLed and started again
or SIGSTOPped for up to 1.5 leases and SIGCONTed (tests/chaos.py drives it). The test's own
assertions are the guarantees; its closing figures are the report's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

from project import ROOT
from report import Report

SECONDS = 60
JOBS = 3000
ENGINES = ("sqlite", "postgresql")
SETTLED = re.compile(r"settled ([\d.]+) s after .*? \(([\d.]+) leases\)")


def chaos(report: Report, seconds: int = SECONDS, jobs: int = JOBS) -> None:
    for engine in ENGINES:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/test_chaos.py", "-k", engine, "-s", "-q"],
            cwd=ROOT,
            env={**os.environ, "CHAOS_SECONDS": str(seconds), "CHAOS_JOBS": str(jobs)},
            capture_output=True,
            text=True,
            check=False,
        )
        lines = [line for line in result.stdout.splitlines() if line.startswith("chaos:")]
        figures = lines[-1] if lines else result.stdout.strip().splitlines()[-1]
        report.add("chaos", f"{engine}: {seconds} s, {jobs} jobs", figures)
        report.goal(
            f"chaos, {engine}: every 202 recorded, nothing sent twice, every job ended with"
            " a reason or succeeded",
            "all",
            "all" if result.returncode == 0 else f"not all (pytest exited {result.returncode})",
            result.returncode == 0,
        )
        settled = SETTLED.search(figures)
        if settled:
            leases = float(settled.group(2))
            report.goal(
                f"chaos, {engine}: settled after the last kill or pause",
                "<= 1.5 leases",
                f"{leases:.2f} leases ({float(settled.group(1)):.1f} s)",
                leases <= 1.5,
            )
