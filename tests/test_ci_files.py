"""The generated GitHub workflow (where `ci` is github) and the pre-commit config (always)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml
from combos import SUPPORTED, as_row, params
from conftest import is_binary, read_answers, run

GITHUB_COMBOS = {
    name: answers for name, answers in SUPPORTED.items() if as_row(answers)["ci"] == "github"
}
TOOLS = Path(sys.executable).parent
WORKFLOW = Path(".github/workflows/ci.yml")

# Every GitHub expression the workflow template writes, as it must read once rendered.
EXPECTED_EXPRESSIONS = [
    "${{ github.workflow }}",
    "${{ github.ref }}",
    "${{ github.event_name == 'pull_request' }}",
]
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


@pytest.fixture
def project(rendered, combo: str) -> Path:
    return rendered(combo, SUPPORTED[combo])


@pytest.fixture
def workflow(project) -> dict:
    loaded = yaml.safe_load((project / WORKFLOW).read_text())
    loaded["on"] = loaded.pop(True)  # YAML 1.1 reads the key `on` as true
    return loaded


def steps_running(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


@pytest.mark.parametrize("combo", params(GITHUB_COMBOS))
class TestGitHubWorkflow:
    def test_workflow_matches_githubs_schema(self, project) -> None:
        run([str(TOOLS / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
             str(WORKFLOW)], project)  # fmt: skip

    def test_github_expressions_survive_rendering_exactly(self, project) -> None:
        text = (project / WORKFLOW).read_text()

        assert re.findall(r"\$\{\{.*?\}\}", text) == EXPECTED_EXPRESSIONS
        assert text.count("${{") == text.count("}}") == len(EXPECTED_EXPRESSIONS)

    def test_every_job_only_reads_the_repository(self, workflow) -> None:
        assert workflow["permissions"] == {"contents": "read"}
        assert all("permissions" not in job for job in workflow["jobs"].values())

    def test_every_action_is_pinned_to_a_commit(self, workflow) -> None:
        used = [step["uses"] for job in workflow["jobs"].values() for step in job["steps"]
                if "uses" in step]  # fmt: skip

        assert used
        assert [action for action in used if not PINNED_ACTION.match(action)] == []

    def test_lint_job_runs_ruff_mypy_and_the_import_contract(self, workflow) -> None:
        commands = steps_running(workflow["jobs"]["lint"])

        assert {"ruff check .", "ruff format --check .", "mypy", "lint-imports"} <= set(commands)

    def test_lint_and_test_jobs_install_exactly_the_locked_versions(self, workflow) -> None:
        for name in ("lint", "test"):
            commands = steps_running(workflow["jobs"][name])
            installs = [cmd for cmd in commands if "install" in cmd or "sync" in cmd]

            assert any(command.startswith("uv sync --locked --extra dev") for command in installs)
            assert not any("pip install -e" in command for command in installs), name

    def test_tests_run_on_the_chosen_python(self, workflow, project) -> None:
        answers = read_answers(project)
        jobs = workflow["jobs"]
        versions = {
            step["with"]["python-version"]
            for job in jobs.values()
            for step in job["steps"]
            if step.get("uses", "").startswith("actions/setup-python@")
        }

        assert versions == {answers["python_version"]}
        assert "pytest" in steps_running(jobs["test"])

    def test_celery_tests_get_their_real_broker(self, workflow, project) -> None:
        answers = read_answers(project)
        test = workflow["jobs"]["test"]
        postgres = {"postgres"} if answers["jobs_store"] == "postgresql" else set()
        if answers["task_queue"] != "celery":
            assert set(test.get("services", {})) == postgres
            assert not {"REQUIRE_BROKERS", "REDIS_URL", "RABBITMQ_URL"} & set(test.get("env", {}))
            return
        broker = answers["broker"]
        url = {"redis": "REDIS_URL", "rabbitmq": "RABBITMQ_URL"}[broker]

        assert set(test["services"]) == {broker} | postgres
        assert test["services"][broker]["image"].startswith(f"{broker}:")
        assert "--health-cmd" in test["services"][broker]["options"]
        assert test["env"]["REQUIRE_BROKERS"] == "1"
        assert test["env"][url].startswith("redis://localhost:" if broker == "redis" else "amqp://")

    def test_postgresql_store_tests_get_a_real_postgresql(self, workflow, project) -> None:
        answers = read_answers(project)
        test = workflow["jobs"]["test"]
        if answers["jobs_store"] != "postgresql":
            assert "postgres" not in test.get("services", {})
            assert not {"JOBS_TEST_DATABASE_URL", "REQUIRE_POSTGRES"} & set(test.get("env", {}))
            return
        postgres = test["services"]["postgres"]
        url = test["env"]["JOBS_TEST_DATABASE_URL"]

        assert postgres["image"].startswith("postgres:")
        assert postgres["image"].split(":")[1] not in {"", "latest"}
        assert "5432:5432" in postgres["ports"]
        assert "--health-cmd" in postgres["options"] and "pg_isready" in postgres["options"]
        assert test["env"]["REQUIRE_POSTGRES"] == "1"
        assert url.startswith("postgresql://") and "@localhost:5432/" in url
        assert postgres["env"]["POSTGRES_PASSWORD"] in url

    def test_docker_job_builds_and_starts_the_image_exactly_when_docker_is_chosen(
        self, workflow, project
    ) -> None:
        answers = read_answers(project)

        assert ("docker" in workflow["jobs"]) == answers["use_docker"]
        if answers["use_docker"]:
            commands = "\n".join(steps_running(workflow["jobs"]["docker"]))
            assert "docker compose build" in commands
            assert "docker compose up --detach --wait" in commands
            assert "/health" in commands


@pytest.mark.parametrize("combo", params())
def test_pre_commit_config_is_valid_and_has_the_hooks(project) -> None:
    config = project / ".pre-commit-config.yaml"
    hooks = {
        hook["id"] for repo in yaml.safe_load(config.read_text())["repos"] for hook in repo["hooks"]
    }

    run([str(TOOLS / "pre-commit"), "validate-config", str(config)], project)
    assert {"ruff-check", "ruff-format", "mypy", "lint-imports", "trailing-whitespace",
            "end-of-file-fixer", "check-yaml"} <= hooks  # fmt: skip


@pytest.mark.parametrize("combo", params())
def test_without_github_ci_there_is_no_github_folder(project) -> None:
    assert (project / ".github").exists() == (read_answers(project)["ci"] == "github")


TOOL_OUTPUT = {
    ".git", ".import_linter_cache", ".mypy_cache", ".ruff_cache", ".pytest_cache", "__pycache__",
    ".venv", "var",
}  # fmt: skip


def files_to_commit(project: Path) -> list[str]:
    """What the first commit holds: the files git does not ignore (no tests' tool caches)."""
    if (project / ".git").is_dir():
        listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], project)
        return listed.stdout.splitlines()
    return [
        str(path.relative_to(project))
        for path in sorted(project.rglob("*"))
        if path.is_file() and not TOOL_OUTPUT & set(path.relative_to(project).parts)
    ]


@pytest.mark.parametrize("combo", params())
def test_hygiene_hooks_would_change_nothing(project) -> None:
    """What trailing-whitespace and end-of-file-fixer would fix on the first commit."""
    hooks = {
        hook["id"]: re.compile(hook.get("exclude", "^$"))
        for repo in yaml.safe_load((project / ".pre-commit-config.yaml").read_text())["repos"]
        for hook in repo["hooks"]
    }
    untidy = []
    for name in files_to_commit(project):
        if is_binary(project / name):  # the hooks look at text files only
            continue
        text = (project / name).read_text()
        if not hooks["trailing-whitespace"].search(name) and any(
            line != line.rstrip() for line in text.splitlines()
        ):
            untidy.append(f"{name}: trailing whitespace")
        if not hooks["end-of-file-fixer"].search(name) and (
            not text.endswith("\n") or text.endswith("\n\n")
        ):
            untidy.append(f"{name}: not one final newline")
    assert untidy == []
