"""uv.lock: created by the post-copy task, exactly what the Dockerfile and CI install.

The rest of the suite copies with SKIP_UV_LOCK=1 (conftest.py); these tests lock for real, once
with an index and once without one.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest
from combos import SUPPORTED
from conftest import ROOT, git, render, run, uv

pytestmark = pytest.mark.usefixtures("no_git_identity")


def declared_names(project: Path) -> set[str]:
    """The distribution names pyproject.toml declares, runtime and dev."""
    project_table = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    requirements = [*project_table["dependencies"], *project_table["optional-dependencies"]["dev"]]
    return {re.split(r"[\[<>=!~; ]", requirement)[0].lower() for requirement in requirements}


@pytest.mark.slow
def test_new_project_is_locked_and_the_lock_is_in_its_first_commit(tmp_path: Path) -> None:
    project = render(tmp_path / "myapp", SUPPORTED["defaults"], lock=True)

    lock = tomllib.loads((project / "uv.lock").read_text())
    locked = {package["name"] for package in lock["package"]}
    assert declared_names(project) <= locked
    assert "pre-commit" in locked
    assert all("version" in package for package in lock["package"])
    assert git(project, "ls-files", "uv.lock") == "uv.lock\n"
    assert git(project, "status", "--porcelain") == ""
    # The check `uv sync --locked` makes in the Dockerfile and in CI: the lock is current.
    run([uv(), "lock", "--locked", "--quiet"], project, timeout=300)


@pytest.mark.slow
def test_without_an_index_the_copy_succeeds_unlocked_and_says_what_to_do(tmp_path: Path) -> None:
    # No network and no cache to fall back on: `uv lock` cannot resolve anything.
    env = {"SKIP_UV_LOCK": "0", "UV_OFFLINE": "1", "UV_NO_CACHE": "1"}
    result = run(
        [sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--vcs-ref", "HEAD",
         "-d", "use_docker=false", "-d", "ci=none", str(ROOT), str(tmp_path / "myapp")],
        tmp_path,
        env,
    )  # fmt: skip
    project = tmp_path / "myapp"

    assert not (project / "uv.lock").exists()
    assert "`uv lock` failed" in result.stdout
    assert "run it again later" in result.stdout
    assert "`pip install -e '.[dev]'` works without it" in result.stdout
    assert git(project, "status", "--porcelain") == "", "the copy still gets its first commit"
