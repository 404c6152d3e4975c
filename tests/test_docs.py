"""The generated README and docs/ of every combination: each feature's page and sections there
when the feature is, none when it is not, and every link between them leading somewhere."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from combos import SUPPORTED, params
from conftest import read_answers

pytestmark = pytest.mark.parametrize("combo", params())

README_SECTIONS = [
    "## Install and run",
    "## Configure",
    "## The endpoints",
    "## Add your own job kind",
    "## Test and lint",
    "## Updating from the template",
    "## More documentation",
]
ALWAYS = {"jobs.md", "operations.md", "deploying.md", "observability.md", "updating.md"}
LINK = re.compile(r"\]\(([^)\s]+)\)")
CONFLICT_MARKER = re.compile(r"^(<{7}|={7}|>{7})( |$)", flags=re.MULTILINE)


def expected_pages(answers: dict[str, Any]) -> set[str]:
    optional = {
        "dashboard.md": answers["jobs_dashboard"],
        "email.md": "email" in answers["background_jobs"],
        "upstreams.md": answers["async_clients"],
        "celery.md": answers["task_queue"] == "celery",
        "schedules.md": answers["schedules"],
    }
    return ALWAYS | {page for page, present in optional.items() if present}


def expected_sections(answers: dict[str, Any]) -> dict[str, dict[str, bool]]:
    """Per page, headings that must be there (True) or must not (False)."""
    jobs, observability = answers["background_jobs"], answers["observability"]
    celery = answers["task_queue"] == "celery"
    return {
        "README.md": {
            "### Audit log": "audit_log" in jobs,
            "### Files": "files" in jobs,
            "### Reports": "reports" in jobs,
        },
        "docs/jobs.md": {
            "## Shutdown and crashes: jobs come back": True,
            "## Idempotency keys": True,
        },
        "docs/operations.md": {"## The command line": True, "## Limits": True, "## Secrets": True},
        "docs/deploying.md": {"## Docker": answers["use_docker"]},
        "docs/observability.md": {
            "## Logs and request ids": True,
            "## Metrics": "metrics" in observability,
            "## Tracing (OpenTelemetry)": "tracing" in observability,
            "## Error reporting (Sentry)": "sentry" in observability,
            "### The Celery workers' metrics": celery and "metrics" in observability,
        },
    }


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in page.read_text().splitlines() if line[:1] == "#"}


def headings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("#")]


@pytest.fixture
def project(rendered, combo: str) -> Path:
    return rendered(combo, SUPPORTED[combo])


def pages(project: Path) -> list[Path]:
    return [project / "README.md", *sorted((project / "docs").glob("*.md"))]


def test_docs_has_a_page_for_each_feature_the_project_has(project: Path) -> None:
    answers = read_answers(project)

    assert {page.name for page in (project / "docs").glob("*.md")} == expected_pages(answers)


def test_the_readme_is_a_start_page_that_lists_every_doc(project: Path) -> None:
    readme = (project / "README.md").read_text()
    listed = readme.split("## More documentation", 1)[-1]

    assert [section for section in README_SECTIONS if section not in headings(readme)] == []
    for page in (project / "docs").glob("*.md"):
        assert f"](docs/{page.name})" in listed, page.name


def test_each_feature_has_its_sections_where_it_is_on_and_none_where_it_is_off(
    project: Path,
) -> None:
    answers = read_answers(project)

    for name, sections in expected_sections(answers).items():
        found = headings((project / name).read_text())
        for section, wanted in sections.items():
            present = any(line == section or line.startswith(section) for line in found)
            assert present == wanted, f"{name}: {section!r} should be {'in' if wanted else 'out'}"


def test_every_link_between_the_pages_leads_to_a_page_and_heading_that_exist(
    project: Path,
) -> None:
    for page in pages(project):
        for target in LINK.findall(page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # an address outside the project
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            assert linked.is_file(), f"{page.name} links to {target}, which is not rendered"
            if anchor and linked.suffix == ".md":
                assert anchor in anchors(linked), f"{page.name} links to {target}: no heading"


def test_the_pages_say_that_a_crashed_process_s_jobs_come_back(project: Path) -> None:
    text = "\n".join(page.read_text() for page in pages(project))
    above = (project / ".env.example").read_text().split("\nJOBS_LEASE_SECONDS=")[0].splitlines()
    comment = " ".join(line for line in above[-4:] if line.startswith("# "))

    for wrong in ("not re-run by itself", "live and die with their process"):
        assert wrong not in text
    assert "runs them again" in comment, comment
    assert "jobs come back" in text.lower()


def test_no_page_has_a_line_git_would_read_as_a_conflict_marker(project: Path) -> None:
    for page in pages(project):
        assert not CONFLICT_MARKER.search(page.read_text()), page.name
