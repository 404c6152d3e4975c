"""The README's commands are the ones CI runs."""

import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT, commit_and_tag, git, read_answers, template_repo

COPIER = str(Path(sys.executable).parent / "copier")


def readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    return re.findall(r"```\n(.+?)\n```", readme, flags=re.DOTALL)


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    test_command = next(block for block in readme_commands() if "pytest" in block)

    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command.strip() in [line.strip() for line in ci_lines]


def test_readme_generate_command_copies_this_checkout_with_defaults() -> None:
    generate = next(block for block in readme_commands() if "copier copy" in block)

    assert "--defaults" in generate
    assert "--trust" in generate
    assert re.search(r"\bserve\b", generate)


def test_readme_generate_command_installs_only_what_copying_needs() -> None:
    """Copier, and uv for the post-copy `uv lock`: not the test suite's browsers and linters."""
    generate = next(block for block in readme_commands() if "copier copy" in block)
    extras = re.findall(r"--extra (\S+)", generate)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = pyproject["project"]["optional-dependencies"]

    assert extras == ["generate"]
    assert [re.split(r"[<>=\[ ]", requirement)[0] for requirement in declared["generate"]] == [
        "copier",
        "uv",
    ]
    assert set(declared["generate"]) <= set(declared["test"])  # the suite copies too


def readme_copy_command() -> str:
    """The `copier copy` step of the README's generate command, run with this venv's copier."""
    generate = next(block for block in readme_commands() if "copier copy" in block)
    step = next(part for part in generate.split(" && ") if "copier copy" in part)
    assert step.startswith(".venv/bin/copier copy ")
    return step.replace(".venv/bin/copier", shlex.quote(COPIER))


def shell(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"{command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")


@pytest.mark.slow
@pytest.mark.usefixtures("no_git_identity")
@pytest.mark.parametrize("source", ["as-written", "relative-dot"])
def test_readme_generate_command_then_copier_update_applies_a_new_release(
    tmp_path: Path, source: str
) -> None:
    """The README's generate command in a checkout (a throw-away clone of this template), then a
    new template release, then `copier update` from inside the generated project."""
    template = template_repo(tmp_path / "checkout", tag="v1.0.0")
    command = readme_copy_command()
    if source == "relative-dot":
        command = command.replace('"$PWD"', ".")
        assert " . ../myapp" in command
    # A shell started in the checkout, as a user's terminal: it sets PWD itself.
    env = {name: value for name, value in os.environ.items() if name != "PWD"}
    shell(["sh", "-c", command], template, env)
    project = tmp_path / "myapp"
    assert read_answers(project)["_src_path"] == str(template)
    assert read_answers(project)["_commit"] == "v1.0.0"
    assert git(project, "status", "--porcelain") == ""

    readme = template / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nNew in v1.1.0: this line.\n")
    commit_and_tag(template, "v1.1.0")
    shell([COPIER, "update", "--trust", "--defaults"], project, env)

    assert read_answers(project)["_commit"] == "v1.1.0"
    assert (project / "README.md").read_text().endswith("New in v1.1.0: this line.\n")
