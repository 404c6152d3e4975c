"""The project under test: rendered from this checkout, with its own venv; the peers' venv."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
DOCS = ROOT / "docs"
APPS = BENCH / "apps"
TOOLS = BENCH / "tools"
PACKAGE = "bench_service"
ANSWERS: dict[str, Any] = {
    "project_name": "Bench Service",
    "python_version": "3.12",
    "async_clients": True,
    "background_jobs": ["audit_log", "email", "files", "reports"],
    "task_queue": "celery",
    "broker": "redis",
    "jobs_dashboard": True,
    "use_docker": False,
    "ci": "none",
}
PEER_PACKAGES = (
    "fastapi-mail", "fastapi-taskflow", "procrastinate", "pgqueuer", "asyncpg", "saq",
    "psycopg[binary]",
)  # fmt: skip
"""Installed (with the bounds of pyproject.toml's `bench` extra) into the peers' venv."""
ARQ_PACKAGES = ("arq",)
"""arq wants a redis client older than the project's: its own venv, redis not constrained."""


@dataclass
class Project:
    path: Path
    python: Path

    def env(self, workdir: Path, **settings: str) -> dict[str, str]:
        return {
            "PYTHONPATH": f"{self.path / 'src'}{os.pathsep}{APPS}",
            "PYTHONDONTWRITEBYTECODE": "1",
            "BENCH_PACKAGE": PACKAGE,
            "JOBS_DB": str(workdir / "var" / "jobs.sqlite3"),
            "OUTBOX_DIR": str(workdir / "var" / "outbox"),
            "FILES_DIR": str(workdir / "var" / "files"),
            "LOG_FILE": str(workdir / "var" / "audit.log"),
            "REPORTS_DIR": str(workdir / "var" / "reports"),
            **settings,
        }

    def uvicorn(self, app: str, *extra: str, python: Path | None = None) -> list[str]:
        # Every app runs the same way: one uvicorn process, no access log (the figure is the
        # job machinery's, not the logging's).
        return [
            str(python or self.python), "-m", "uvicorn", app, *extra,
            "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip


def render_project(
    destination: Path, jobs: list[str] | None = None, **answers: Any
) -> tuple[Path, float]:
    if destination.exists():
        shutil.rmtree(destination)
    data = {**ANSWERS, "package_name": PACKAGE, **answers}
    if jobs is not None:
        data["background_jobs"] = jobs
        data["task_queue"] = "celery" if "reports" in jobs else "none"
    started = time.perf_counter()
    copier.run_copy(
        str(ROOT), destination, data=data, defaults=True, unsafe=True, quiet=True, vcs_ref="HEAD"
    )
    return destination, time.perf_counter() - started


def uv() -> str:
    with contextlib.suppress(ImportError):
        from uv import find_uv_bin

        return str(find_uv_bin())
    found = shutil.which("uv")
    if found is None:
        raise SystemExit("bench needs uv (pip install uv)")
    return found


def find_interpreter(version: str) -> str:
    """A CPython `version` on this machine: on PATH or installed by pyenv; else let uv find it."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = sorted(map(str, pyenv.glob(f"versions/{version}.*/bin/python{version}")))
    candidates.append(shutil.which(f"python{version}") or version)
    for candidate in candidates:
        probe = [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
        with contextlib.suppress(OSError):
            if subprocess.run(probe, capture_output=True, text=True).stdout.strip() == version:
                return candidate
    return version


def project_environment(project: Path, name: str = "venv") -> Path:
    """A venv with the project's own dependencies (runtime and dev), reused while unchanged."""
    venv = OUT / name
    stamp = venv / ".pyproject"
    wanted = (project / "pyproject.toml").read_text()
    if not (stamp.exists() and stamp.read_text() == wanted):
        make_venv(venv)
        subprocess.run(
            [uv(), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
             "-r", str(project / "pyproject.toml"), "--extra", "dev"],
            check=True,
        )  # fmt: skip
        stamp.write_text(wanted)
    return venv / "bin" / "python"


def make_venv(venv: Path) -> None:
    version = ANSWERS["python_version"]
    subprocess.run(
        [uv(), "venv", "--quiet", "--clear", "--python", find_interpreter(version), str(venv)],
        check=True,
    )


def bench_requirements(names: tuple[str, ...]) -> list[str]:
    """The named requirements of pyproject.toml's `bench` extra, with their bounds."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["bench"]
    chosen = [spec for spec in extras if spec.split(">")[0].split("=")[0].strip() in names]
    if len(chosen) != len(names):
        raise SystemExit(f"pyproject.toml's bench extra must list {', '.join(names)}")
    return chosen


def peers_environment(
    project_python: Path,
    name: str = "venv-peers",
    packages: tuple[str, ...] = PEER_PACKAGES,
    unconstrained: tuple[str, ...] = (),
) -> Path:
    """A venv for the peer apps: every package of the project's venv at its exact version
    (FastAPI, uvicorn, pydantic, aiosmtplib, ...) but the `unconstrained` ones, plus
    `packages` (by default fastapi-mail, fastapi-taskflow and the job systems on PostgreSQL
    and Redis; Celery and redis are the project's own).

    Separate from the project's venv so the project's own test suite never sees them.
    """
    venv = OUT / name
    frozen = subprocess.run(
        [uv(), "pip", "freeze", "--python", str(project_python)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    constraints = "\n".join(
        line
        for line in frozen.splitlines()
        if "==" in line
        and not line.startswith("-e")
        and line.split("==")[0].lower() not in unconstrained
    )
    wanted = constraints + "\n" + "\n".join(bench_requirements(packages))
    stamp = venv / ".constraints"
    if not (stamp.exists() and stamp.read_text() == wanted):
        make_venv(venv)
        listed = OUT / f"constraints-{name}.txt"
        listed.write_text(constraints + "\n")
        subprocess.run(
            [uv(), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
             "-r", str(listed), "-c", str(listed), *bench_requirements(packages)],
            check=True,
        )  # fmt: skip
        stamp.write_text(wanted)
    return venv / "bin" / "python"


def arq_environment(project_python: Path) -> Path:
    return peers_environment(project_python, "venv-arq", ARQ_PACKAGES, unconstrained=("redis",))


def python_version(python: Path) -> str:
    return subprocess.run(
        [str(python), "-V"], capture_output=True, text=True, check=True
    ).stdout.strip()


if __name__ == "__main__":  # pragma: no cover - a manual check of the environments
    path, _ = render_project(OUT / "project")
    print(peers_environment(project_environment(path)), file=sys.stderr)
