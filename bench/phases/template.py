"""The template itself: `copier copy` wall time, and the generated and template test suites."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import copier
from project import OUT, ROOT, Project, render_project
from report import Report


def template_cost(project: Project, report: Report, repeats: int, with_suite: bool) -> None:
    """copier copy with all features vs a one-file template; the test suites' wall time."""
    with tempfile.TemporaryDirectory() as scratch:
        one_file = Path(scratch) / "one-file-template"
        one_file.mkdir()
        (one_file / "copier.yml").write_text("project_name:\n  type: str\n  default: x\n")
        (one_file / "README.md.jinja").write_text("# {{ project_name }}\n")
        for git in (["init", "-q"], ["add", "."], ["commit", "-qm", "one file"]):
            subprocess.run(
                ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *git],
                cwd=one_file,
                check=True,
            )
        times: dict[str, list[float]] = {"all features": [], "one-file template": []}
        for i in range(repeats):
            times["all features"].append(render_project(Path(scratch) / f"all-{i}")[1])
            started = time.perf_counter()
            copier.run_copy(
                str(one_file), Path(scratch) / f"one-{i}", defaults=True, quiet=True, vcs_ref="HEAD"
            )
            times["one-file template"].append(time.perf_counter() - started)
    for label, values in times.items():
        report.add(
            "template",
            f"copier copy, {label} (median of {repeats})",
            f"{statistics.median(values):.2f} s",
        )
    started = time.perf_counter()
    result = subprocess.run(
        [str(project.python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project.path,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "VIRTUAL_ENV": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    report.add(
        "template",
        "generated project's own test suite (all features)",
        f"{time.perf_counter() - started:.1f} s: {summary}",
    )
    timing = OUT / "template-suite.json"
    if with_suite:
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
        timing.write_text(
            json.dumps({"seconds": time.perf_counter() - started, "summary": summary})
        )
    if timing.exists():
        suite = json.loads(timing.read_text())
        report.add(
            "template",
            "template's own test suite (pytest -n 2)",
            f"{suite['seconds']:.0f} s: {suite['summary']}"
            + ("" if with_suite else " (from the last --template-suite run)"),
        )
    else:
        report.add(
            "template", "template's own test suite", "not measured: run with --template-suite"
        )
