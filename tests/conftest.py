"""Shared fixtures: render the template, and run things in the generated projects."""

from __future__ import annotations

import fcntl
import glob
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from plumbum import local

ROOT = Path(__file__).resolve().parents[1]
ENVS = ROOT / ".venv-generated"
REQUIREMENTS = ROOT / "tests" / "generated-requirements.txt"
PYTHON_VERSIONS = ("3.11", "3.12", "3.13")

Answers = Mapping[str, Any]

# The post-copy task's `uv lock` resolves every dependency from an index: seconds per copy, for
# nothing the matrix checks. Every copy the suite makes skips it (copier run as a command
# inherits this; render() hands it to copier's tasks), except tests/test_lock.py's.
os.environ.setdefault("SKIP_UV_LOCK", "1")


def render(
    destination: Path,
    answers: Answers,
    *,
    template: Path = ROOT,
    vcs_ref: str = "HEAD",
    lock: bool = False,
) -> Path:
    """`copier copy` the template (working tree by default) with these answers.

    Without `lock`, the post-copy task skips `uv lock` (SKIP_UV_LOCK, set below).
    """
    with local.env():
        if lock:
            local.env.pop("SKIP_UV_LOCK", None)
        else:
            local.env["SKIP_UV_LOCK"] = "1"
        copier.run_copy(
            str(template),
            destination,
            data=dict(answers),
            defaults=True,
            unsafe=True,
            quiet=True,
            vcs_ref=vcs_ref,
        )
    return destination


BINARY_SUFFIXES = frozenset({".png"})


def is_binary(path: Path) -> bool:
    """Images (the dashboard's screenshot): copied as they are, never read as text. A template
    file's name counts without its Jinja (`{% if ... %}dashboard.png{% endif %}`)."""
    return Path(re.sub(r"\{%.*?%\}", "", path.name)).suffix in BINARY_SUFFIXES


def read_answers(project: Path) -> dict[str, Any]:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def uv() -> str:
    from uv import find_uv_bin

    return find_uv_bin()


def find_interpreter(version: str) -> str | None:
    """A CPython `version` on this machine: on PATH, or installed by pyenv."""
    for candidate in (shutil.which(f"python{version}"), sys.executable):
        if candidate and probe_version(candidate) == version:
            return candidate
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    for candidate in sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}")):
        if probe_version(candidate) == version:
            return candidate
    return None


def probe_version(python: str) -> str | None:
    result = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else None


def shared_environment(version: str) -> Path:
    """The environment with every dependency a rendered project can have, for `version`.

    Created once per machine (reused while generated-requirements.txt is unchanged);
    a lock makes parallel test workers wait for the one that builds it.
    """
    interpreter = find_interpreter(version)
    if interpreter is None:
        pytest.skip(f"Python {version} is not installed on this machine")
    ENVS.mkdir(exist_ok=True)
    env = ENVS / f"py{version}"
    stamp = env / ".requirements"
    wanted = REQUIREMENTS.read_text()
    with (ENVS / f"py{version}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (stamp.exists() and stamp.read_text() == wanted):
            run([uv(), "venv", "--quiet", "--clear", "--python", interpreter, str(env)], ROOT)
            run(
                [uv(), "pip", "install", "--quiet", "--python", str(env / "bin" / "python"),
                 "-r", str(REQUIREMENTS)],
                ROOT,
            )  # fmt: skip
            stamp.write_text(wanted)
    return env


def run(
    command: list[str], cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """Run a command; fail the test with its output if it exits non-zero."""
    result = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"`{' '.join(command)}` in {cwd} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}",
            pytrace=False,
        )
    return result


def copier_cli(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """`copier ...` as a user types it, in `cwd`, with no standard input; any exit code."""
    return subprocess.run(
        [sys.executable, "-m", "copier", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )


def tool(env: Path, name: str) -> str:
    return str(env / "bin" / name)


# The generated tests that build the whole app (every feature's router and settings) and ask
# it the first questions: enough to show that a project installed or updated another way is
# wired; the matrix runs all the quick tests of the same combination.
SMOKE_TESTS = ("tests/test_health.py", "tests/test_jobs_api.py")


POSTGRES_SETTINGS = ("JOBS_TEST_DATABASE_URL", "REQUIRE_POSTGRES")


def clean_env() -> dict[str, str]:
    """Environment for a generated project: none of this repository's settings leak in."""
    # The generated broker tests run once per broker, in tests/test_celery.py, not in every
    # combination's suite: here they skip (REDIS_URL / RABBITMQ_URL empty, not required).
    broker_settings = {"REDIS_URL": "", "RABBITMQ_URL": "", "REQUIRE_BROKERS": ""}
    # The PostgreSQL server .ci/postgres.sh provides, when set: every jobs_store=postgresql
    # suite runs its store tests on it (a database of their own each) instead of skipping.
    server = {name: os.environ[name] for name in POSTGRES_SETTINGS if name in os.environ}
    return {"PYTHONDONTWRITEBYTECODE": "1", "VIRTUAL_ENV": "", **broker_settings, **server}


# The tests' own commits (a user editing their project) need an author; copier must not.
GIT_AUTHOR = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
}


def git(cwd: Path, *args: str) -> str:
    return run(
        ["git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args], cwd, GIT_AUTHOR
    ).stdout


def copy_working_tree(destination: Path, source: Path = ROOT) -> Path:
    """The files `render()` sees in `source`: tracked and untracked, minus git-ignored ones."""
    listed = git(source, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        if (source / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, destination / name)
    return destination


def template_repo(destination: Path, tag: str = "v1.0.0") -> Path:
    """A throw-away git repository of the current template, its one commit tagged `tag`."""
    copy_working_tree(destination)
    git(destination, "init", "--quiet")
    commit_and_tag(destination, tag)
    return destination


def commit_and_tag(repo: Path, tag: str) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", f"template {tag}")
    git(repo, "tag", tag)


@pytest.fixture
def no_git_identity(tmp_path_factory: pytest.TempPathFactory):
    """Git as on a fresh machine: no global or system config, hence no user identity.

    Copier and its tasks run git through plumbum's environment, so it is set there.
    """
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text("")
    with local.env(
        HOME=str(home), GIT_CONFIG_GLOBAL=str(home / ".gitconfig"), GIT_CONFIG_NOSYSTEM="1"
    ):
        for variable in GIT_AUTHOR:
            local.env.pop(variable, None)
        yield


def run_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This run's temporary folder, the same for every xdist worker (each has its own below)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, Answers], Path]:
    """Render each combination once per run, keyed by its id, whichever worker asks first.

    The workers share the renders (the first renders under a lock, the others wait for it),
    so the tests of one combination need no xdist group: every worker takes them, in the
    order that keeps them busy. Nothing writes into a render: tests copy it or work in
    folders of their own (the generated tests chdir into theirs).
    """
    shared = run_tmp(tmp_path_factory) / "rendered"
    shared.mkdir(exist_ok=True)

    def get(combo_id: str, answers: Answers) -> Path:
        project = shared / combo_id / "project"
        with (shared / f"{combo_id}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not project.is_dir():
                # Rendered aside and moved in: a render that failed halfway is never reused.
                staging = render(tmp_path_factory.mktemp(combo_id) / "project", answers)
                project.parent.mkdir(exist_ok=True)
                staging.rename(project)
        return project

    return get


# Scheduled first, in this order: the items that run for minutes (generated job-runtime
# tests, real brokers, fresh installs, whole update scenarios). With them started early, the
# workers end together on the many quick items instead of one waiting for the other.
LONGEST_FIRST = (
    "tests/test_celery.py::",
    "tests/test_new_user.py::",
    "tests/test_generated_projects.py::test_generated_slow_tests_pass",
    "tests/test_chaos.py::",
    "tests/test_update.py::",
    "tests/test_guide.py::",
    "tests/test_postgres_faults.py::",
    "tests/test_generated_projects.py::test_generated_quick_tests_pass",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        for position, prefix in enumerate(LONGEST_FIRST):
            if item.nodeid.startswith(prefix):
                return position
        return len(LONGEST_FIRST) + (item.get_closest_marker("slow") is None)

    items.sort(key=rank)


MATRIX_MODULE = "tests/test_generated_projects.py::"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many answer combinations the matrix rendered and checked in this run."""
    outcomes: dict[str, set[str]] = {}
    for category in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(category, []):
            combo = dict(getattr(report, "user_properties", [])).get("combo")
            if getattr(report, "nodeid", "").startswith(MATRIX_MODULE) and combo:
                outcomes.setdefault(combo, set()).add(category)
    if outcomes:
        clean = sum(1 for seen in outcomes.values() if seen == {"passed"})
        failing = sum(1 for seen in outcomes.values() if seen & {"failed", "error"})
        pairwise = sum(1 for combo in outcomes if combo.startswith("pairs-"))
        terminalreporter.write_sep(
            "-",
            f"answer combinations: {len(outcomes)} ran ({len(outcomes) - pairwise} hand-picked, "
            f"{pairwise} pairwise), {clean} passed every check, {failing} failed, "
            f"{len(outcomes) - clean - failing} skipped",
        )


# A PostgreSQL of a test's own, for the tests that stop it or cut a host off from it.
from private_postgres import postgres  # noqa: E402, F401 -- the fixture, shared
