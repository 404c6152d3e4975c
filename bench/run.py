"""Measure the generated service on real processes: python bench/run.py

Renders a project with every feature on, installs its dependencies into a venv under
bench/out/, starts it with uvicorn on 127.0.0.1 and measures, in one run:

- the cost of a tracked job (POST /emails into OUTBOX_DIR) against a bare FastAPI app,
  with wrk, alternating A B A B, at 20 and 100 connections;
- email delivery through a slow SMTP server, and POST /emails latency while it is slow;
- no loss: thousands of POST /emails and POST /files, then every message, file and job;
- with Celery on Redis: enqueue latency of POST /reports, and request-to-SUCCESS time;
- the template itself: `copier copy` wall time, and the generated test suite's.

Prints a table and writes docs/benchmarks.md and docs/benchmarks.png.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import copier

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
DOCS = ROOT / "docs"
PACKAGE = "bench_service"
ANSWERS: dict[str, Any] = {
    "project_name": "Bench Service",
    "python_version": "3.12",
    "async_clients": True,
    "background_jobs": ["audit_log", "email", "files", "reports"],
    "task_queue": "celery",
    "broker": "redis",
    "use_docker": False,
    "ci": "none",
}
EMAIL_BODY = '{"to": "someone@example.com", "subject": "bench {i}", "body": "Hello from bench."}'
REPORT_BODY = '{"name": "bench", "rows": 100}'
FILE_BODY = '{"file_name": "file-{i}.txt", "content": "content of file {i}"}'
SERVER_CPU, LOADGEN_CPU = 0, 1


# ---------------------------------------------------------------------------------------------
# Processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pin(cpu: int) -> list[str]:
    """taskset prefix that pins a process to one core (when the machine has two or more)."""
    if (os.cpu_count() or 1) < 2 or not shutil.which("taskset"):
        return []
    return ["taskset", "-c", str(cpu)]


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited {process.returncode} before serving")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
            if response.status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    workdir: Path


@contextlib.contextmanager
def serve(
    name: str, command: list[str], workdir: Path, env: dict[str, str], port: int
) -> Iterator[Server]:
    workdir.mkdir(parents=True, exist_ok=True)
    log = (workdir / f"{name}.log").open("wb")
    process = subprocess.Popen(
        [*pin(SERVER_CPU), *command, "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/health", process)
        yield Server(name, url, process, workdir)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextlib.contextmanager
def background(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[None]:
    """A helper process; without a `log` file it must print one line once it is ready."""
    cwd.mkdir(parents=True, exist_ok=True)
    output = log.open("wb") if log else subprocess.PIPE
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.PIPE,
        stdout=output,
        stderr=subprocess.STDOUT if log else None,
    )
    try:
        if process.stdout is not None:
            process.stdout.readline()
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---------------------------------------------------------------------------------------------
# The project under test


@dataclass
class Project:
    path: Path
    python: Path

    def env(self, workdir: Path, **settings: str) -> dict[str, str]:
        return {
            "PYTHONPATH": str(self.path / "src"),
            "PYTHONDONTWRITEBYTECODE": "1",
            "JOBS_DB": str(workdir / "var" / "jobs.sqlite3"),
            "OUTBOX_DIR": str(workdir / "var" / "outbox"),
            "FILES_DIR": str(workdir / "var" / "files"),
            "LOG_FILE": str(workdir / "var" / "audit.log"),
            "REPORTS_DIR": str(workdir / "var" / "reports"),
            **settings,
        }

    def uvicorn(self, app: str, *extra: str) -> list[str]:
        # Both apps run the same way: one uvicorn process, no access log (the figure is the
        # job machinery's, not the logging's).
        return [
            str(self.python), "-m", "uvicorn", app, *extra,
            "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip


def render_project(destination: Path, jobs: list[str] | None = None) -> tuple[Path, float]:
    if destination.exists():
        shutil.rmtree(destination)
    answers = {**ANSWERS, "package_name": PACKAGE}
    if jobs is not None:
        answers["background_jobs"] = jobs
        answers["task_queue"] = "celery" if "reports" in jobs else "none"
    started = time.perf_counter()
    copier.run_copy(
        str(ROOT),
        destination,
        data=answers,
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref="HEAD",
    )
    return destination, time.perf_counter() - started


def uv() -> str:
    with contextlib.suppress(ImportError):
        from uv import find_uv_bin

        return str(find_uv_bin())
    found = shutil.which("uv")
    if found is None:
        raise SystemExit("bench needs uv (pip install uv)")
    return found


def find_interpreter(version: str) -> str:
    """A CPython `version` on this machine: on PATH or installed by pyenv; else let uv find it."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = sorted(map(str, pyenv.glob(f"versions/{version}.*/bin/python{version}")))
    candidates.append(shutil.which(f"python{version}") or version)
    for candidate in candidates:
        probe = [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
        with contextlib.suppress(OSError):
            if subprocess.run(probe, capture_output=True, text=True).stdout.strip() == version:
                return candidate
    return version


def project_environment(project: Path) -> Path:
    """A venv with the project's own dependencies (runtime and dev), reused while unchanged."""
    venv = OUT / "venv"
    stamp = venv / ".pyproject"
    wanted = (project / "pyproject.toml").read_text()
    version = ANSWERS["python_version"]
    if not (stamp.exists() and stamp.read_text() == wanted):
        subprocess.run(
            [uv(), "venv", "--quiet", "--clear", "--python", find_interpreter(version), str(venv)],
            check=True,
        )
        subprocess.run(
            [uv(), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
             "-r", str(project / "pyproject.toml"), "--extra", "dev"],
            check=True,
        )  # fmt: skip
        stamp.write_text(wanted)
    return venv / "bin" / "python"


# ---------------------------------------------------------------------------------------------
# Load


@dataclass
class LoadResult:
    target: str
    connections: int
    requests: int
    seconds: float
    non2xx: int
    socket_errors: int
    percentiles_ms: dict[str, float]
    loadgen_cpu: float
    server_cpu: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def wrk(server: Server, path: str, body: str, connections: int, seconds: int) -> LoadResult:
    """Run wrk (one thread, on its own core) against the server; CPU use of both is measured."""
    command = [
        *pin(LOADGEN_CPU), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(BENCH / "post.lua"), server.url + path,
    ]  # fmt: skip
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = cpu_seconds(server.process.pid)
    output = subprocess.run(
        command, env={**os.environ, "WRK_BODY": body}, capture_output=True, text=True, check=True
    ).stdout
    server_after = cpu_seconds(server.process.pid)
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(line for line in output.splitlines() if line.startswith("WRK "))
    data = json.loads(line[4:])
    wall = data["duration_us"] / 1e6
    loadgen = (after_children.ru_utime + after_children.ru_stime) - (
        before_children.ru_utime + before_children.ru_stime
    )
    return LoadResult(
        target=server.name,
        connections=connections,
        requests=data["requests"],
        seconds=wall,
        non2xx=data["non2xx"],
        socket_errors=data["socket_errors"] + data["timeouts"],
        percentiles_ms={
            key: data[f"{key}_us"] / 1000 for key in ("p50", "p75", "p90", "p99", "p999", "max")
        },
        loadgen_cpu=loadgen / wall,
        server_cpu=(server_after - server_before) / wall,
    )


def client(
    project: Project, server: Server, path: str, count: int, concurrency: int, template: str
) -> dict[str, Any]:
    """Send `count` requests with the async client; every response is kept."""
    with tempfile.NamedTemporaryFile(suffix=".json", dir=OUT, delete=False) as handle:
        out = Path(handle.name)
    subprocess.run(
        [*pin(LOADGEN_CPU), str(project.python), str(BENCH / "client.py"), server.url, path,
         str(count), str(concurrency), template, str(out)],
        check=True,
    )  # fmt: skip
    data: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    return data


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def jobs_by_status(database: Path, kind: str | None = None) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        sql = "SELECT status, count(*) FROM jobs"
        rows = (
            connection.execute(sql + " WHERE kind = ? GROUP BY status", (kind,))
            if kind
            else connection.execute(sql + " GROUP BY status")
        )
        return dict(rows.fetchall())


def job_ids(database: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return {row[0] for row in connection.execute("SELECT id FROM jobs")}


# ---------------------------------------------------------------------------------------------
# Phases


@dataclass
class Report:
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unmet: list[str] = field(default_factory=list)
    loads: list[LoadResult] = field(default_factory=list)
    latency_series: dict[str, list[float]] = field(default_factory=dict)

    def add(self, section: str, measure: str, value: str) -> None:
        self.rows.append((section, measure, value))
        print(f"{section:<24} {measure:<58} {value}", flush=True)


TARGETS = {
    "bare": "bare FastAPI app",
    "job-only": "tracked job, empty work",
    "emails": "POST /emails (outbox)",
}


def job_cost(project: Project, report: Report, seconds: int, rounds: int) -> None:
    """POST /emails (outbox) and an empty tracked job vs the bare app; A B C A B C."""
    workdir = OUT / "job-cost"
    shutil.rmtree(workdir, ignore_errors=True)
    model = f"{PACKAGE}.email.schemas:EmailRequest"
    envs = {
        name: project.env(workdir / name, BENCH_BODY_MODEL=model, BENCH_PACKAGE=PACKAGE)
        for name in TARGETS
    }
    body = EMAIL_BODY.replace("{i}", "0")
    paths = {"bare": "/emails", "job-only": "/job-only", "emails": "/emails"}
    commands = {
        "bare": project.uvicorn("bare_app:app", "--app-dir", str(BENCH)),
        "job-only": project.uvicorn("job_only_app:app", "--app-dir", str(BENCH)),
        "emails": project.uvicorn(f"{PACKAGE}.app:create_app", "--factory"),
    }
    with contextlib.ExitStack() as stack:
        servers = [
            stack.enter_context(serve(name, command, workdir / name, envs[name], free_port()))
            for name, command in commands.items()
        ]
        for server in servers:  # warm up every app before measuring
            wrk(server, paths[server.name], body, 20, 2)
        for connections in (20, 100):
            results: dict[str, list[LoadResult]] = {name: [] for name in commands}
            for _ in range(rounds):
                for server in servers:
                    result = wrk(server, paths[server.name], body, connections, seconds)
                    results[server.name].append(result)
                    report.loads.append(result)
            summarise_cost(report, connections, results)
    for name in ("job-only", "emails"):
        check_jobs(report, name, envs[name], [r for r in report.loads if r.target == name])


def check_jobs(report: Report, name: str, env: dict[str, str], loads: list[LoadResult]) -> None:
    """Every job recorded and succeeded; for emails, one .eml per email job."""
    statuses = jobs_by_status(Path(env["JOBS_DB"]))
    recorded = sum(statuses.values())
    accepted = sum(r.requests - r.non2xx for r in loads)
    report.add(
        "job cost",
        f"{TARGETS[name]}: 202s counted by wrk; job records by status",
        f"{accepted}; {json.dumps(statuses)}",
    )
    # Warm-up requests are recorded too, and wrk stops with requests in flight whose 202 it
    # does not count: so records >= 202s counted, and every record must read succeeded.
    complete = statuses.get("succeeded", 0) == recorded >= accepted
    if name == "emails":
        outbox = len(list(Path(env["OUTBOX_DIR"]).glob("*.eml")))
        report.add("job cost", f"{TARGETS[name]}: .eml files in OUTBOX_DIR", f"{outbox}")
        complete = complete and outbox == recorded
    if not complete:
        report.unmet.append(f"{TARGETS[name]}: {recorded} job records {statuses}, {accepted} 202s")


def summarise_cost(report: Report, connections: int, results: dict[str, list[LoadResult]]) -> None:
    def median(name: str, value: Any) -> float:
        return statistics.median(value(result) for result in results[name])

    rps = {name: median(name, lambda r: r.rps) for name in results}
    p50 = {name: median(name, lambda r: r.percentiles_ms["p50"]) for name in results}
    p99 = {name: median(name, lambda r: r.percentiles_ms["p99"]) for name in results}
    cpu_ms = {name: median(name, lambda r: 1000 * r.server_cpu / r.rps) for name in results}
    server = {name: median(name, lambda r: r.server_cpu) for name in results}
    loadgen = max(r.loadgen_cpu for rs in results.values() for r in rs)
    errors = sum(r.non2xx + r.socket_errors for rs in results.values() for r in rs)
    section = f"job cost, {connections} conns"
    for name, label in TARGETS.items():
        report.add(
            section,
            f"{label}: req/s, p50, p99, server CPU per request (median of {len(results[name])})",
            f"{rps[name]:.0f} req/s, {p50[name]:.2f} ms, {p99[name]:.2f} ms, {cpu_ms[name]:.3f} ms",
        )
    for name in ("job-only", "emails"):
        ratio_rps, ratio_p50 = rps[name] / rps["bare"], p50[name] / p50["bare"]
        report.add(
            section,
            f"{TARGETS[name]} / bare: throughput (goal >= 0.7), p50 (goal <= 1.5), p99, CPU",
            f"{ratio_rps:.2f}x, {ratio_p50:.2f}x, {p99[name] / p99['bare']:.2f}x, "
            f"{cpu_ms[name] / cpu_ms['bare']:.2f}x",
        )
        if name == "emails" and ratio_rps < 0.7:
            report.unmet.append(
                f"POST /emails throughput at {connections} connections: "
                f"{ratio_rps:.2f}x the bare app (goal 0.7x)"
            )
        if name == "emails" and ratio_p50 > 1.5:
            report.unmet.append(
                f"POST /emails p50 at {connections} connections: {ratio_p50:.2f}x the bare app"
                " (goal 1.5x)"
            )
    report.add(
        section,
        "server core busy (bare, job only, emails); wrk's own core use (max)",
        ", ".join(f"{server[name]:.0%}" for name in TARGETS) + f"; wrk {loadgen:.0%}",
    )
    report.add(section, "non-2xx responses and socket errors", f"{errors}")
    if errors:
        report.unmet.append(f"{errors} errors at {connections} connections")


@contextlib.contextmanager
def smtp_server(project: Project, delay: float, log: Path) -> Iterator[int]:
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    command = [str(project.python), str(BENCH / "smtp_sink.py"), str(port), str(delay), str(log)]
    with background([*pin(LOADGEN_CPU), *command], OUT):
        yield port


def smtp_settings(port: int) -> dict[str, str]:
    # The local server speaks plain SMTP: no STARTTLS to upgrade to.
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "false"}


def received(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines()


def wait_for(predicate: Any, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def latencies_ms(data: dict[str, Any]) -> list[float]:
    return [seconds * 1000 for _, status, seconds, _ in data["results"] if status < 300]


def delivery(project: Project, report: Report, count: int) -> None:
    """Emails/s delivered through a 50 ms SMTP server; POST latency with a 1 s one.

    Each scenario: 100 requests one at a time (latency without queueing), then `count`
    requests over 20 connections (a burst that saturates the server's core).
    """
    app_cmd = project.uvicorn(f"{PACKAGE}.app:create_app", "--factory")
    single: dict[str, list[float]] = {}
    for label, delay in (("outbox", None), ("SMTP 50 ms", 0.05), ("SMTP 1 s", 1.0)):
        workdir = OUT / f"delivery-{delay}"
        shutil.rmtree(workdir, ignore_errors=True)
        log = workdir / "received.txt"
        with contextlib.ExitStack() as stack:
            settings: dict[str, str] = {}
            if delay is not None:
                port = stack.enter_context(smtp_server(project, delay, log))
                settings = smtp_settings(port)
            env = project.env(workdir, **settings)
            server = stack.enter_context(serve("tracked", app_cmd, workdir, env, free_port()))
            one_by_one = client(project, server, "/emails", 100, 1, EMAIL_BODY)
            single[label] = latencies_ms(one_by_one)
            started = time.perf_counter()
            burst = client(project, server, "/emails", count, 20, EMAIL_BODY)
            accepted = sum(1 for _, status, _, _ in burst["results"] if status == 202)
            if delay is not None:
                wait_for(lambda: len(received(log)) >= accepted + 100, timeout=120)  # noqa: B023
                elapsed = time.perf_counter() - started
                delivered = len(received(log)) - 100
                if delay == 0.05:
                    report.add(
                        "delivery",
                        f"{count} emails in a burst via a {label} server: delivered, rate",
                        f"{delivered}, {delivered / elapsed:.0f} emails/s (first request to last"
                        " delivery)",
                    )
                if delivered != accepted:
                    report.unmet.append(f"delivery {label}: {delivered} of {accepted} delivered")
        ones, ms = single[label], latencies_ms(burst)
        report.add(
            "delivery",
            f"POST /emails, {label}: p50, p99 one at a time; in the burst (20 conns)",
            f"{percentile(ones, 50):.1f} ms, {percentile(ones, 99):.1f} ms; "
            f"{percentile(ms, 50):.1f} ms, {percentile(ms, 99):.1f} ms",
        )
        report.latency_series[f"POST /emails one at a time, {label}"] = ones
    slow, fast = percentile(single["SMTP 1 s"], 50), percentile(single["SMTP 50 ms"], 50)
    report.add(
        "delivery", "p50 one at a time: 1 s SMTP server / 50 ms SMTP server", f"{slow / fast:.2f}x"
    )
    if slow > 2 * fast:
        report.unmet.append(
            f"POST /emails p50 grew from {fast:.1f} to {slow:.1f} ms with a 1 s SMTP server"
        )


def no_loss(project: Project, report: Report, count: int) -> None:
    """Thousands of POST /emails and POST /files; then every message, file and job is checked."""
    workdir = OUT / "no-loss"
    shutil.rmtree(workdir, ignore_errors=True)
    log = workdir / "received.txt"
    app_cmd = project.uvicorn(f"{PACKAGE}.app:create_app", "--factory")
    with smtp_server(project, 0.0, log) as port:
        env = project.env(workdir, **smtp_settings(port))
        with serve("tracked", app_cmd, workdir, env, free_port()) as server:
            emails = client(project, server, "/emails", count, 50, EMAIL_BODY)
            files = client(project, server, "/files", count, 50, FILE_BODY)
            wait_for(lambda: len(received(log)) >= count, timeout=300)
            database = Path(env["JOBS_DB"])
            wait_for(lambda: set(jobs_by_status(database)) == {"succeeded"}, timeout=300)
    issued = {
        body["job_id"]: (kind, i)
        for kind, data in (("email", emails), ("files", files))
        for i, status, _, body in data["results"]
        if status == 202
    }
    subjects = received(log)
    counts = collections.Counter(subjects)
    once = all(counts[f"bench {i}"] == 1 for i in range(count))
    files_dir = Path(env["FILES_DIR"])
    intact = all(
        (files_dir / f"file-{i}.txt").read_text() == f"content of file {i}" for i in range(count)
    )
    recorded = job_ids(Path(env["JOBS_DB"]))
    statuses = jobs_by_status(Path(env["JOBS_DB"]))
    report.add(
        "no loss", "POST /emails + POST /files answered 202", f"{len(issued)} of {2 * count}"
    )
    report.add(
        "no loss",
        "messages received by SMTP, each exactly once",
        f"{len(subjects)} received, exactly once: {once}",
    )
    report.add("no loss", "files present with their content", f"{intact}")
    report.add(
        "no loss",
        "every 202's job id recorded; job records by status",
        f"{set(issued) <= recorded}; {json.dumps(statuses)}",
    )
    if not (
        len(issued) == 2 * count
        and once
        and len(subjects) == count
        and intact
        and set(issued) <= recorded
        and statuses == {"succeeded": len(recorded)}
    ):
        report.unmet.append("no loss: see the no-loss rows")


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def post_json(url: str, body: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def timed_gets(url: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        get_json(url)
        times.append((time.perf_counter() - started) * 1000)
    return times


DONE = {"succeeded", "failed", "interrupted"}


def report_state(server: Server, task_id: str) -> str:
    """The report's state; "unknown" while the result backend has not heard of it yet (404)."""
    try:
        return str(get_json(f"{server.url}/reports/{task_id}")["state"])
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return "unknown"
        raise


def redis_reachable(host: str = "127.0.0.1", port: int = 6379) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def celery(project: Project, report: Report, count: int, redis_url: str) -> None:
    """POST /reports enqueue latency vs GET /health, and request-to-SUCCESS time, on Redis."""
    if not (project.path / "src" / PACKAGE / "worker").exists():
        report.add("celery", "not measured", "the rendered project has no Celery worker yet")
        report.unmet.append(
            "Celery figures not measured: the Celery feature was not in the template"
        )
        return
    if not redis_reachable():
        report.add("celery", "not measured", "no Redis on 127.0.0.1:6379")
        report.unmet.append("Celery figures not measured: no Redis on 127.0.0.1:6379")
        return
    workdir = OUT / "celery"
    shutil.rmtree(workdir, ignore_errors=True)
    env = project.env(workdir, BROKER_URL=redis_url, RESULT_BACKEND=redis_url)
    worker = [*pin(LOADGEN_CPU), str(project.python), "-m", PACKAGE, "worker"]
    app_cmd = project.uvicorn(f"{PACKAGE}.app:create_app", "--factory")
    with (
        background(worker, workdir, env, log=workdir / "worker.log"),
        serve("tracked", app_cmd, workdir, env, free_port()) as server,
    ):
        _, first = post_json(server.url + "/reports", REPORT_BODY)  # worker up, connections warm
        wait_for(lambda: report_state(server, first["task_id"]) in DONE, timeout=120)
        enqueue, end_to_end, health = [], [], timed_gets(server.url + "/health", count)
        for _ in range(count):
            started = time.perf_counter()
            status, body = post_json(server.url + "/reports", REPORT_BODY)
            enqueue.append((time.perf_counter() - started) * 1000)
            if status != 202:
                report.unmet.append(f"celery: POST /reports answered {status}: {body}")
                return
            while (state := report_state(server, body["task_id"])) not in DONE:
                time.sleep(0.002)
            end_to_end.append((time.perf_counter() - started) * 1000)
            if state != "succeeded":
                report.unmet.append(f"celery: a report ended {state}")
    for label, values in (
        ("GET /health", health),
        ("POST /reports (enqueue)", enqueue),
        ("request -> SUCCESS (succeeded)", end_to_end),
    ):
        report.add(
            "celery (Redis)",
            f"{label}: p50, p99 ({count} sequential)",
            f"{percentile(values, 50):.1f} ms, {percentile(values, 99):.1f} ms",
        )
        report.latency_series[f"Celery: {label}"] = values


def template_cost(project: Project, report: Report, repeats: int, with_suite: bool) -> None:
    """copier copy with all features vs a one-file template; the test suites' wall time."""
    with tempfile.TemporaryDirectory() as scratch:
        one_file = Path(scratch) / "one-file-template"
        one_file.mkdir()
        (one_file / "copier.yml").write_text("project_name:\n  type: str\n  default: x\n")
        (one_file / "README.md.jinja").write_text("# {{ project_name }}\n")
        for git in (["init", "-q"], ["add", "."], ["commit", "-qm", "one file"]):
            subprocess.run(
                ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *git],
                cwd=one_file,
                check=True,
            )
        times: dict[str, list[float]] = {"all features": [], "one-file template": []}
        for i in range(repeats):
            times["all features"].append(render_project(Path(scratch) / f"all-{i}")[1])
            started = time.perf_counter()
            copier.run_copy(
                str(one_file), Path(scratch) / f"one-{i}", defaults=True, quiet=True, vcs_ref="HEAD"
            )
            times["one-file template"].append(time.perf_counter() - started)
    for label, values in times.items():
        report.add(
            "template",
            f"copier copy, {label} (median of {repeats})",
            f"{statistics.median(values):.2f} s",
        )
    started = time.perf_counter()
    result = subprocess.run(
        [str(project.python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project.path,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "VIRTUAL_ENV": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    report.add(
        "template",
        "generated project's own test suite (all features)",
        f"{time.perf_counter() - started:.1f} s: {summary}",
    )
    timing = OUT / "template-suite.json"
    if with_suite:
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
        timing.write_text(
            json.dumps({"seconds": time.perf_counter() - started, "summary": summary})
        )
    if timing.exists():
        suite = json.loads(timing.read_text())
        report.add(
            "template",
            "template's own test suite (pytest -n 2)",
            f"{suite['seconds']:.0f} s: {suite['summary']}"
            + ("" if with_suite else " (from the last --template-suite run)"),
        )
    else:
        report.add(
            "template", "template's own test suite", "not measured: run with --template-suite"
        )


# ---------------------------------------------------------------------------------------------
# Report


def versions(project: Project) -> str:
    code = (
        "import importlib.metadata as m\n"
        "for name in ('fastapi', 'starlette', 'uvicorn', 'uvloop', 'httptools', 'pydantic',"
        " 'aiosmtplib', 'aiosmtpd', 'httpx2', 'celery', 'redis'):\n"
        "    try: print(f'{name} {m.version(name)}')\n"
        "    except m.PackageNotFoundError: pass\n"
    )
    listed = subprocess.run(
        [str(project.python), "-c", code], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    python = subprocess.run(
        [str(project.python), "-V"], capture_output=True, text=True, check=True
    ).stdout.strip()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[:2]
    return ", ".join([python, *filter(None, listed), " ".join(wrk_version)])


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{os.cpu_count()} cores, {model}, {platform.system()} {platform.release()};"
        f" load average at the end of the run {load}"
    )


def plot(report: Report, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = ["p50", "p75", "p90", "p99", "p999"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    colors = {"bare": "tab:gray", "job-only": "tab:green", "emails": "tab:blue"}
    for connections, style in ((20, "-"), (100, "--")):
        for target, label in TARGETS.items():
            runs = [r for r in report.loads if r.target == target and r.connections == connections]
            if runs:
                medians = [statistics.median(r.percentiles_ms[k] for r in runs) for k in keys]
                left.plot(
                    keys,
                    medians,
                    style,
                    marker="o",
                    color=colors[target],
                    label=f"{label}, {connections} conns",
                )
    left.set_yscale("log")
    left.set_ylabel("latency (ms, log scale)")
    left.set_title("Tracked jobs vs a bare FastAPI app (wrk, median of runs)")
    left.legend(fontsize=8)
    qs = [50, 75, 90, 95, 99, 99.9]
    for label, values in report.latency_series.items():
        right.plot(
            [f"p{q:g}" for q in qs], [percentile(values, q) for q in qs], marker="o", label=label
        )
    right.set_yscale("log")
    right.set_ylabel("latency (ms, log scale)")
    right.set_title("Response latency by scenario (async client)")
    if report.latency_series:
        right.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


METHOD = f"""\
- Three apps, one uvicorn process each (`--no-access-log`; uvloop and httptools from
  `uvicorn[standard]`), all in the generated project's own venv, so every version matches:
  a bare FastAPI app that validates the same request model (`EmailRequest`) and answers 202
  doing nothing else; the generated service with one extra endpoint whose tracked job does
  nothing (`bench/job_only_app.py`: the job machinery alone); and the generated service's
  own `POST /emails` with no `SMTP_HOST`, so each email becomes an `.eml` file in `OUTBOX_DIR`.
- Load: `wrk` (C, one thread, a Lua script for the POST body) for the rates; an httpx2 async
  client in its own process where every response is needed (delivery, no loss).
- Starvation: the server is pinned to core {SERVER_CPU}; wrk, the async client, the SMTP server
  and the Celery worker to core {LOADGEN_CPU} (`taskset`). The CPU time of wrk and of the server
  is measured per run (rusage of the child, `/proc/<pid>/stat`) and reported as a share of one
  core. wrk stays far below its core, so it never limits the server. When the server's core is
  also well below 100%, other processes on this shared machine took the rest: the rates are then
  lower than the machine can do, and the server CPU per request is the steadier figure.
- A B C A B C: the three apps run side by side and take turns, so drift in the machine's load
  hits all of them; figures are medians of the runs.
- After the runs, each app's jobs database is read directly: every job is counted by status,
  and the `.eml` files in `OUTBOX_DIR` are counted against the email job records."""


def write_markdown(report: Report, project: Project, command: str, path: Path) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Measured by `bench/run.py` on real processes over loopback; regenerate with:",
        "",
        f"```\n{command}\n```",
        "",
        f"- Machine: {machine()}.",
        f"- Versions: {versions(project)}.",
        "- Project: rendered from this checkout with every feature on "
        "(async clients, audit log, email, files, reports on Celery with Redis).",
        "",
        "## How it is measured",
        "",
        METHOD,
        "",
        "## Results",
        "",
        "![latency percentiles](benchmarks.png)",
        "",
        "| Phase | Measure | Value |",
        "|---|---|---|",
        *(f"| {section} | {measure} | {value} |" for section, measure, value in report.rows),
        "",
        "## Goals not met",
        "",
        *(
            [f"- {item}" for item in report.unmet]
            or ["- None: every goal above was met in this run."]
        ),
        "",
    ]
    if report.notes:
        lines += ["## Notes", "", *(f"- {note}" for note in report.notes), ""]
    lines.append((BENCH / "notes.md").read_text())
    path.write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="A B rounds per connection count")
    parser.add_argument(
        "--messages", type=int, default=2000, help="requests per kind, no-loss phase"
    )
    parser.add_argument("--jobs", nargs="*", help="background_jobs answer (default: all)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument(
        "--template-suite", action="store_true", help="also run the template's whole test suite"
    )
    parser.add_argument(
        "--only", nargs="*", default=["cost", "delivery", "loss", "celery", "template"]
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="Dirty template changes included automatically")
    if shutil.which("wrk") is None:
        raise SystemExit("bench needs wrk (Debian/Ubuntu: apt-get install wrk)")
    OUT.mkdir(exist_ok=True)
    DOCS.mkdir(exist_ok=True)
    path, _ = render_project(OUT / "project", args.jobs)
    project = Project(path, project_environment(path))
    report = Report()
    if "cost" in args.only:
        job_cost(project, report, args.seconds, args.rounds)
    if "delivery" in args.only:
        delivery(project, report, 300)
    if "loss" in args.only:
        no_loss(project, report, args.messages)
    if "celery" in args.only:
        celery(project, report, 200, args.redis_url)
    if "template" in args.only:
        template_cost(project, report, 3, args.template_suite)
    command = "python bench/run.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    plot(report, DOCS / "benchmarks.png")
    write_markdown(report, project, command, DOCS / "benchmarks.md")
    print(f"\nwrote {DOCS / 'benchmarks.md'} and {DOCS / 'benchmarks.png'}")
    for item in report.unmet:
        print(f"NOT MET: {item}")


if __name__ == "__main__":
    main()
