"""The generated import contract ([tool.importlinter] in pyproject.toml, checked by the generated
tests/test_import_contract.py): kept as rendered, and it fails the project's own suite as soon as
a feature reaches past the face of `jobs`, or the Celery worker imports FastAPI."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from combos import SUPPORTED
from conftest import clean_env, read_answers, shared_environment, tool

Answers = dict[str, object]
FEATURE_PACKAGES = ("email", "files", "audit", "reports", "upstreams", "health.py")
"""Where a broken import goes: the first of these the render has."""


def own_suite(project: Path) -> subprocess.CompletedProcess[str]:
    environment = shared_environment(read_answers(project)["python_version"])
    return subprocess.run(
        [tool(environment, "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/test_import_contract.py"],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip


def a_feature_module(package: Path) -> tuple[Path, str]:
    """The module, and how it names the package's `jobs` (a feature's, or a root module's)."""
    for name in FEATURE_PACKAGES:
        if (package / name).is_dir():
            return package / name / "__init__.py", "..jobs"
        if (package / name).is_file():
            return package / name, ".jobs"
    raise AssertionError(f"no feature module in {package}")


@pytest.mark.parametrize("combo", ["defaults", "everything-on"])
def test_the_contract_is_kept_and_its_test_fails_once_broken(
    combo: str, rendered: Callable[[str, Answers], Path], tmp_path: Path
) -> None:
    project = shutil.copytree(rendered(combo, SUPPORTED[combo]), tmp_path / "project")
    package = project / "src" / str(read_answers(project)["package_name"])
    kept = own_suite(project)
    assert kept.returncode == 0, kept.stdout + kept.stderr

    module, jobs = a_feature_module(package)
    text = module.read_text()
    module.write_text(f"{text}from {jobs}.store.records import JobStatus as JobStatus\n")
    broken = own_suite(project)
    assert broken.returncode != 0, broken.stdout
    assert "jobs.store.records" in broken.stdout
    module.write_text(text)

    if (package / "worker").is_dir():
        tasks = package / "worker" / "tasks.py"
        tasks.write_text(f"{tasks.read_text()}import fastapi as fastapi\n")
        broken = own_suite(project)
        assert broken.returncode != 0, broken.stdout
        assert "the Celery worker never imports FastAPI BROKEN" in broken.stdout
