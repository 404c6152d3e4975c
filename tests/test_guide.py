"""The generated README's "Add your own job kind" guide, followed step by step on a fresh render.

The files and edits come from the guide's own code blocks, so the guide and this test cannot
drift apart: a new endpoint and job kind, switched on in `features.py`, passing the guide's checks;
then, under a real `serve`, the endpoint answers 202, the job is recorded, it comes back after
the process is killed mid-job and started again, and the dashboard shows it.
"""

from __future__ import annotations

import os
import re
import signal
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from combos import SUPPORTED
from conftest import clean_env, read_answers, render, run, shared_environment
from live_service import Service, running

pytestmark = pytest.mark.slow

TITLE = "## Add your own job kind"
NEW_FILE = re.compile(r"^`([^`]+)`:$")
BLOCK = re.compile(r"([^\n]*)\n\n```[a-z]*\n(.*?)```", flags=re.DOTALL)


@dataclass
class Guide:
    """What the guide tells a reader to do, in its order."""

    new_files: dict[str, str] = field(default_factory=dict)
    features_lines: list[str] = field(default_factory=list)
    env_example: str = ""
    commands: list[str] = field(default_factory=list)


def read_guide(readme: str) -> Guide:
    assert TITLE in readme
    section = readme.split(TITLE, 1)[1].split("\n## ", 1)[0]
    guide = Guide()
    for before, code in BLOCK.findall(section):
        if match := NEW_FILE.match(before):
            guide.new_files[match.group(1)] = code
        elif before.endswith("`.env.example`:"):
            guide.env_example = code
        elif "FEATURES" in code:
            guide.features_lines = [line for line in code.splitlines() if "notifications" in line]
        elif "ruff check" in code:
            guide.commands = code.splitlines()
    return guide


def switch_on(features: Path, lines: list[str]) -> None:
    """Step 4 as a reader does it: the import, the settings base, the feature in FEATURES."""
    imports, settings, feature = lines
    text = features.read_text()
    import_line = imports.split("#")[0].strip()
    text = text.replace("\nfrom . import", f"\n{import_line}\nfrom . import", 1)
    text = text.replace("class Settings(\n", f"class Settings(\n{settings}\n", 1)
    end = text.index("\n)", text.index("FEATURES: tuple[Feature, ...] = ("))
    features.write_text(f"{text[:end]}\n{feature}{text[end:]}")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return render(tmp_path / "project", SUPPORTED["defaults"])


def test_the_guide_adds_a_job_kind_that_is_recorded_comes_back_and_shows(
    project: Path, tmp_path: Path
) -> None:
    answers = read_answers(project)
    environment = shared_environment(answers["python_version"])
    guide = read_guide((project / "README.md").read_text())
    package = f"src/{answers['package_name']}"
    modules = ("settings", "jobs", "router", "__init__")
    assert sorted(guide.new_files) == sorted(
        [f"{package}/notifications/{name}.py" for name in modules] + ["tests/test_notifications.py"]
    )
    assert len(guide.features_lines) == 3
    assert "NOTIFICATIONS_DIR=" in guide.env_example

    for name, code in guide.new_files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(code)
    switch_on(project / package / "features.py", guide.features_lines)
    with (project / ".env.example").open("a") as example:
        example.write(guide.env_example)

    # Step 6's checks, with pytest narrowed to the new test (the matrix runs the rest).
    check = guide.commands[0]
    assert check == "ruff check --fix . && ruff format . && mypy && lint-imports && pytest"
    # PYTHONPATH stands in for the reader's `pip install -e`: lint-imports imports the package.
    env = {
        **clean_env(),
        "PATH": f"{environment / 'bin'}:{os.environ['PATH']}",
        "PYTHONPATH": str(project / "src"),
    }
    run(["bash", "-c", f"{check} -q -p no:cacheprovider tests/test_notifications.py"], project, env)
    run([str(environment / "bin" / "ruff"), "check", "."], project, env)

    workdir = tmp_path / "service"
    notifications = workdir / "var" / "notifications"
    service = Service(project, environment, workdir, {"JOBS_LEASE_SECONDS": "2"})
    # The job's write blocks on a FIFO until the process is killed: a job cut off mid-run.
    notifications.mkdir(parents=True)
    os.mkfifo(notifications / "7.txt")
    with running(service):
        response = service.post("/notifications", {"user_id": 7, "message": "hello"})
        assert response.status == 202, response
        job_id = response.body["job_id"]
        service.wait_for_jobs([job_id], statuses={"running"})
        code, _ = service.stop(signal.SIGKILL)
    assert code == -signal.SIGKILL
    recorded = service.stored_jobs()[job_id]
    assert (recorded["kind"], recorded["status"]) == ("notifications", "running")

    (notifications / "7.txt").unlink()
    with running(service):
        [job] = service.wait_for_jobs([job_id], timeout=60)
        assert job["status"] == "succeeded", service.log()
        assert (notifications / "7.txt").read_text() == "notification for user 7: hello\n"

        assert service.get("/dashboard").status == 200
        listed = service.get("/dashboard/jobs?kind=notifications")
        assert listed.status == 200, listed
        assert [(row["id"], row["status"]) for row in listed.body] == [(job_id, "succeeded")]
        service.stop()
