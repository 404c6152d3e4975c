"""What each supported combination renders: exactly its features' files, no Jinja left."""

import re
import tomllib
from pathlib import Path

import pytest
from combos import SUPPORTED, params
from conftest import is_binary, read_answers

pytestmark = pytest.mark.parametrize("combo", params())

JINJA_LEFTOVER = re.compile(r"{{|}}|{%|%}|{#|#}")
# GitHub Actions expressions are meant to survive rendering.
GITHUB_EXPRESSION = re.compile(r"\${{ [^}]+ }}")

# Which package each feature answer switches on.
FEATURE_PACKAGES = {
    "audit_log": "audit",
    "email": "email",
    "files": "files",
    "reports": "reports",
}


def project_files(project: Path) -> list[Path]:
    """The project's text files."""
    return [
        path
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.parts and not is_binary(path)
    ]


def is_runtime_template(relative: Path) -> bool:
    """A Jinja template the service itself renders (e.g. an email body): copied verbatim."""
    return relative.parts[0] == "src" and "templates" in relative.parts[:-1]


def test_no_jinja_left_in_names_or_contents(rendered, combo: str) -> None:
    project = rendered(combo, SUPPORTED[combo])

    for path in project_files(project):
        relative = path.relative_to(project)
        assert not JINJA_LEFTOVER.search(str(relative)), relative
        if is_runtime_template(relative):
            continue
        text = GITHUB_EXPRESSION.sub("", path.read_text())
        assert not JINJA_LEFTOVER.search(text), f"Jinja left in {relative}"


def test_no_empty_files(rendered, combo: str) -> None:
    project = rendered(combo, SUPPORTED[combo])

    empty = [
        path.relative_to(project) for path in project_files(project) if not path.read_text().strip()
    ]
    assert empty == []


def test_only_the_chosen_features_are_generated(rendered, combo: str) -> None:
    project = rendered(combo, SUPPORTED[combo])
    answers = read_answers(project)
    package = project / "src" / answers["package_name"]

    for job, folder in FEATURE_PACKAGES.items():
        assert (package / folder).is_dir() == (job in answers["background_jobs"]), folder
    assert (package / "upstreams").is_dir() == answers["async_clients"]
    assert (package / "dashboard").is_dir() == answers["jobs_dashboard"]
    assert (project / "docs" / "dashboard.png").is_file() == answers["jobs_dashboard"]


def test_the_project_can_update_itself_from_the_template(rendered, combo: str) -> None:
    project = rendered(combo, SUPPORTED[combo])
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())

    dev = pyproject["project"]["optional-dependencies"]["dev"]
    assert [requirement for requirement in dev if requirement.startswith("copier")] != []
    readme = (project / "README.md").read_text()
    assert "## Updating from the template" in readme
    assert "copier update --trust" in readme


def test_answers_file_records_every_question(rendered, combo: str) -> None:
    project = rendered(combo, SUPPORTED[combo])
    answers = read_answers(project)

    for key, value in SUPPORTED[combo].items():
        assert answers[key] == value, key
    assert answers["_src_path"]
