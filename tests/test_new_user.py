"""As a new user: a generated project installs into an empty environment and its checks pass.

The matrix runs in shared environments that hold every possible dependency, which would
hide a dependency the generated pyproject.toml forgot. Here the project gets a fresh
virtual environment (no pip, no setuptools: `uv venv`) on the interpreter its
`python_version` answer names, with nothing but `.[dev]` installed into it.
"""

from pathlib import Path

import pytest
from combos import SUPPORTED
from conftest import clean_env, find_interpreter, read_answers, render, run, uv

# The defaults a new user gets by pressing Enter, and every optional dependency at once.
NEW_USERS = ["defaults", "everything-on"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "combo",
    [pytest.param(name, marks=pytest.mark.xdist_group(f"new-user-{name}")) for name in NEW_USERS],
)
def test_project_installs_with_only_its_declared_dependencies_and_passes(
    tmp_path: Path, combo: str
) -> None:
    project = render(tmp_path / "myapp", SUPPORTED[combo])
    answers = read_answers(project)
    interpreter = find_interpreter(answers["python_version"])
    if interpreter is None:
        pytest.skip(f"Python {answers['python_version']} is not installed on this machine")
    venv = project / ".venv"
    python = str(venv / "bin" / "python")

    run([uv(), "venv", "--quiet", "--python", interpreter, str(venv)], project)
    run([uv(), "pip", "install", "--quiet", "--python", python, "-e", ".[dev]"], project)

    run([str(venv / "bin" / answers["project_slug"]), "--help"], project, clean_env())
    tests = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project, clean_env())
    assert " passed" in tests.stdout
    # Type stubs are dependencies too: a forgotten one fails mypy --strict here.
    run([str(venv / "bin" / "mypy")], project, clean_env())
