"""As a new user: a generated project installs into an empty environment and its checks pass.

The matrix runs in shared environments that hold every possible dependency, which would
hide a dependency the generated pyproject.toml forgot. Here the project gets a fresh
virtual environment on the interpreter its `python_version` answer names, with nothing but
`.[dev]` installed into it: for the defaults a new user gets by pressing Enter, by following
the generated README's commands word for word; for every optional dependency at once, with
`uv venv` (no pip, no setuptools).
"""

import re
import shlex
import socket
from pathlib import Path

import pytest
from combos import SUPPORTED
from conftest import SMOKE_TESTS, clean_env, find_interpreter, read_answers, render, run, uv

NEW_USERS = ["everything-on"]
# The README sections whose commands a new user runs, in this order, before anything else.
FIRST_HOUR = ["Install and run", "Test and lint"]


@pytest.mark.slow
@pytest.mark.parametrize("combo", NEW_USERS)
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
    # The app with every feature built, under the declared test tools; the matrix runs all of
    # this combination's tests already.
    tests = run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SMOKE_TESTS], project, clean_env()
    )
    assert " passed" in tests.stdout
    # Type stubs are dependencies too: a forgotten one fails mypy --strict here.
    run([str(venv / "bin" / "mypy")], project, clean_env())


def readme_commands(readme: str, sections: list[str]) -> list[str]:
    """The command lines of these `## ` sections' code blocks, in the README's order."""
    commands = []
    for section in re.split(r"(?m)^## ", readme)[1:]:
        title, _, body = section.partition("\n")
        if title.strip() in sections:
            for block in re.findall(r"```\n(.*?)```", body, flags=re.DOTALL):
                commands += [line.split("  #")[0].strip() for line in block.splitlines()]
    return [command for command in commands if command]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


WAIT_FOR_HEALTH = """import sys, time, urllib.request
deadline = time.monotonic() + 60
while True:
    try:
        urllib.request.urlopen(sys.argv[1], timeout=2)
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("serve did not answer /health within 60 s")
        time.sleep(0.2)
"""


@pytest.mark.slow
def test_every_command_the_generated_readme_names_works_in_its_order(tmp_path: Path) -> None:
    """One shell, as a terminal: the README's install, lock, test and lint commands verbatim,
    `python` being the interpreter `python_version` names; `serve` runs in the background (on a
    free port) until /health answers, then gets SIGTERM. A tool the README names that
    `pip install -e '.[dev]'` does not install ends the script: "command not found"."""
    project = render(tmp_path / "myapp", SUPPORTED["defaults"])
    answers = read_answers(project)
    interpreter = find_interpreter(answers["python_version"])
    if interpreter is None:
        pytest.skip(f"Python {answers['python_version']} is not installed on this machine")
    commands = readme_commands((project / "README.md").read_text(), FIRST_HOUR)
    slug = answers["project_slug"]
    install = ["python -m venv .venv && . .venv/bin/activate", "pip install -e '.[dev]'"]
    assert commands[:2] == install
    assert {f"{slug} serve", "pytest", "pre-commit install", "uv lock"} <= set(commands)

    port = free_port()
    script = ["set -eo pipefail"]
    for command in commands:
        if command == f"{slug} serve":
            script += [
                f"{command} --port {port} > serve.log 2>&1 &",
                "server=$!",
                f"python -c {shlex.quote(WAIT_FOR_HEALTH)} http://127.0.0.1:{port}/health",
                'kill -TERM "$server" && wait "$server"',
            ]
        elif command == "pytest":
            # The matrix runs all of the defaults' tests.
            script.append(f"pytest {' '.join(SMOKE_TESTS)}")
        else:
            script.append(command)
    python_dir = tmp_path / "bin"  # `python` is the interpreter the answers name
    python_dir.mkdir()
    (python_dir / "python").symlink_to(interpreter)
    env = {**clean_env(), "PATH": f"{python_dir}:/usr/local/bin:/usr/bin:/bin"}

    result = run(["bash", "-c", "\n".join(script)], project, env)

    assert " passed" in result.stdout
    # Each tool the README names came from `pip install -e '.[dev]'`, not from this machine.
    named = {part.split()[0] for command in commands for part in command.split("&&")} - {"."}
    assert {tool for tool in named if not (project / ".venv" / "bin" / tool).is_file()} == set()
    assert (project / ".git" / "hooks" / "pre-commit").is_file()
    assert (project / "uv.lock").is_file()
    assert "Application shutdown complete" in (project / "serve.log").read_text()
