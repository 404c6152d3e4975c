"""The README's commands are the ones CI runs."""

import re

from conftest import ROOT


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
