"""copier.yml: defaults need no input; every bad answer is refused before anything is written."""

import keyword
import sys
from pathlib import Path

import pytest
import yaml
from combos import UNSUPPORTED
from conftest import ROOT, copier_cli, read_answers, render


def as_data(value: object) -> str:
    """How a user writes this answer after `-d key=` (lists in YAML flow style)."""
    return (
        value if isinstance(value, str) else yaml.safe_dump(value, default_flow_style=True).strip()
    )


def test_defaults_need_no_input(tmp_path: Path) -> None:
    result = copier_cli(
        "copy", "--trust", "--defaults", "--vcs-ref", "HEAD", str(ROOT), "app", cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    answers = read_answers(tmp_path / "app")
    assert answers["project_slug"] == "my-service"
    assert answers["background_jobs"] == ["audit_log", "email", "files", "reports"]
    assert answers["task_queue"] == "none"
    assert answers["observability"] == ["metrics"]
    assert answers["jobs_dashboard"] is True
    assert "broker" not in answers, "broker is asked only with a task queue"
    assert "reserved_package_names" not in answers


def test_slug_and_package_follow_the_project_name(tmp_path: Path) -> None:
    project = render(tmp_path / "p", {"project_name": "Billing API 2"})

    answers = read_answers(project)
    assert answers["project_slug"] == "billing-api-2"
    assert answers["package_name"] == "billing_api_2"
    assert (project / "src" / "billing_api_2" / "app.py").is_file()


@pytest.mark.parametrize(("answers", "question"), UNSUPPORTED.values(), ids=UNSUPPORTED.keys())
def test_bad_answer_is_refused_with_a_message_and_nothing_written(
    tmp_path: Path, answers: dict[str, object], question: str
) -> None:
    data = [arg for key, value in answers.items() for arg in ("-d", f"{key}={as_data(value)}")]

    result = copier_cli(
        "copy", "--trust", "--defaults", "--vcs-ref", "HEAD", *data, str(ROOT), "app", cwd=tmp_path
    )

    assert result.returncode != 0
    assert question in result.stderr
    assert not (tmp_path / "app").exists()


def test_an_unsupported_combination_given_with_data_is_refused_in_one_line(tmp_path: Path) -> None:
    result = copier_cli(
        "copy",
        "--trust",
        "--defaults",
        "--vcs-ref",
        "HEAD",
        "-d",
        "task_queue=celery",
        "-d",
        "background_jobs=[email, files]",
        str(ROOT),
        "app",
        cwd=tmp_path,
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert (
        "task_queue: celery runs the reports job; add 'reports' to background_jobs or choose none"
        in result.stderr.splitlines()
    )
    assert not (tmp_path / "app").exists()


def test_reserved_names_cover_keywords_and_the_standard_library() -> None:
    questions = yaml.safe_load((ROOT / "copier.yml").read_text())
    reserved = set(yaml.safe_load(questions["reserved_package_names"]["default"]))

    expected = {name.lower() for name in sys.stdlib_module_names if not name.startswith("_")}
    expected |= {name for name in keyword.kwlist if name.islower()}
    assert expected - reserved == set()
