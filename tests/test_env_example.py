"""`.env.example` of every combination: each setting of the chosen features, each explained,
showing its default, and nothing else."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from combos import SUPPORTED, params
from conftest import clean_env, read_answers, run, shared_environment, tool

pytestmark = pytest.mark.parametrize("combo", params())

SETTING_LINE = re.compile(r"^(?:# )?([A-Z][A-Z0-9_]*)=(.*)$")

# Run in the project's own environment: the settings as the service composes them.
READ_SETTINGS = """
import json, os, sys
sys.path.insert(0, "src")
from {package}.features import Settings
names = sorted(Settings.model_fields)
for name in names:
    os.environ.pop(name.upper(), None)
defaults, example = Settings(_env_file=None), Settings(_env_file=".env.example")
print(json.dumps({{
    "fields": [name.upper() for name in names],
    "differ": [name.upper() for name in names if getattr(defaults, name) != getattr(example, name)],
}}))
"""


@pytest.fixture
def project(rendered, combo: str) -> Path:
    return rendered(combo, SUPPORTED[combo])


SETTINGS: dict[Path, dict[str, list[str]]] = {}


@pytest.fixture
def settings(project) -> dict[str, list[str]]:
    if project not in SETTINGS:
        SETTINGS[project] = read_settings(project)
    return SETTINGS[project]


def read_settings(project: Path) -> dict[str, list[str]]:
    answers = read_answers(project)
    env = shared_environment(answers["python_version"])
    script = READ_SETTINGS.format(package=answers["package_name"])
    result = run([tool(env, "python"), "-c", script], project, clean_env())
    return json.loads(result.stdout)


def example_lines(project: Path) -> list[str]:
    return (project / ".env.example").read_text().splitlines()


def test_env_example_lists_exactly_the_services_settings(project, settings) -> None:
    listed = [m.group(1) for line in example_lines(project) if (m := SETTING_LINE.match(line))]

    assert sorted(listed) == sorted(set(listed)), "a setting is listed twice"
    assert set(listed) == set(settings["fields"])


def test_env_example_shows_the_defaults(settings) -> None:
    """Copied to .env as it is, it changes nothing (a commented line leaves its default)."""
    assert settings["differ"] == []


def test_every_setting_has_its_own_comment_line(project) -> None:
    lines = example_lines(project)

    for number, line in enumerate(lines):
        if SETTING_LINE.match(line):
            above = lines[number - 1]
            assert above.startswith("# ") and not SETTING_LINE.match(above), line


def test_the_readme_explains_every_setting(project, settings) -> None:
    """In the README, or in the docs/ page of the feature that has it."""
    pages = [project / "README.md", *sorted((project / "docs").glob("*.md"))]
    text = "\n".join(page.read_text() for page in pages)

    assert [name for name in settings["fields"] if f"`{name}" not in text] == []


def test_git_ignores_env_but_keeps_the_example(project) -> None:
    if not (project / ".git").is_dir():
        pytest.skip("the project was rendered without its git repository")
    ignored = subprocess.run(
        ["git", "check-ignore", ".env", ".env.example", "var/jobs.sqlite3"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )

    assert ignored.stdout.split() == [".env", "var/jobs.sqlite3"]
    tracked = subprocess.run(["git", "ls-files", ".env.example"], cwd=project, capture_output=True,
                             text=True, check=True)  # fmt: skip
    assert tracked.stdout.strip() == ".env.example"
