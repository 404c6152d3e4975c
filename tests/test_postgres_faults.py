"""PostgreSQL under running services: the server stopped and started again, and a host killed.

A private PostgreSQL (initdb and pg_ctl, on a free loopback port, in a folder of its own), so
that stopping it disturbs no other server; two real `serve` processes of the postgresql-store
combination on it as two hosts (two ports, two working directories, one database). Every
server and service started here is stopped by its own PID.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from combos import SUPPORTED
from conftest import shared_environment
from live_service import FINISHED, Service, free_port, smtp_server, wait_until

COMBO = "postgresql-store"
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(COMBO)]

LEASE_SECONDS = 2.0
OUTAGE_SECONDS = 6.0
# A request waits at most WRITE_DEADLINE (4 s) for its job to be recorded; plus HTTP overhead.
ANSWER_WITHIN = 5.0


def server_programs() -> Path | None:
    """The folder holding initdb and pg_ctl: pg_config's, or Debian's (off PATH)."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout
        if (Path(bindir.strip()) / "initdb").exists():
            return Path(bindir.strip())
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts[-3])
    return found[-1].parent if found else None


class PrivatePostgres:
    """A PostgreSQL cluster of this test's own; as root, owned by the postgres user."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="jobs-pg-"))
        self.data = self.folder / "db"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.as_owner: list[str] = []
        if os.geteuid() == 0:  # initdb and pg_ctl refuse root
            os.chown(self.folder, pwd.getpwnam("postgres").pw_uid, -1)
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.pg("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def pg(self, program: str, *args: str) -> None:
        command = [*self.as_owner, str(self.bindir / program), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        log = str(self.folder / "postgres.log")
        self.pg("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        """A fast shutdown: every connection is cut, as in a restart or a failover."""
        self.pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def postmaster_pid(self) -> int | None:
        pid_file = self.data / "postmaster.pid"
        return int(pid_file.read_text().split()[0]) if pid_file.exists() else None

    def destroy(self) -> None:
        pid = self.postmaster_pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGINT)  # the postmaster's fast shutdown
                wait_until(lambda: not Path(f"/proc/{pid}").exists(), 30, "PostgreSQL to stop")
            except ProcessLookupError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    bindir = server_programs()
    if bindir is None:
        reason = "PostgreSQL's server programs (initdb, pg_ctl) are not installed"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason} (REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(reason)
    server = PrivatePostgres(bindir)
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def project(rendered) -> Path:
    return rendered(COMBO, SUPPORTED[COMBO])


@pytest.fixture
def hosts(project: Path, tmp_path: Path, postgres: PrivatePostgres) -> Iterator[Any]:
    """Makes services on the private PostgreSQL, each a host with its own working directory."""
    environment = shared_environment(SUPPORTED[COMBO].get("python_version", "3.12"))
    started: list[Service] = []

    def host(name: str, **settings: str) -> Service:
        shared = {"JOBS_DATABASE_URL": postgres.url, "JOBS_LEASE_SECONDS": str(LEASE_SECONDS)}
        service = Service(project, environment, tmp_path / name, {**shared, **settings})
        started.append(service)
        return service.start()

    yield host
    for service in started:
        service.kill_if_running()


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]
    """By lower-case name."""
    seconds: float


def call(method: str, url: str, body: Any = None, timeout: float = 30) -> Reply:
    """One request; any status comes back, with its headers and how long it took."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            status, headers, content = reply.status, reply.headers, reply.read()
    except urllib.error.HTTPError as error:
        status, headers, content = error.code, error.headers, error.read()
    named = {name.lower(): value for name, value in headers.items()}
    return Reply(status, json.loads(content or b"null"), named, time.perf_counter() - started)


def send_email(host: Service, subject: str) -> Reply:
    message = {"to": "ada@example.com", "subject": subject, "body": "hello"}
    return call("POST", host.url + "/emails", message)


def statuses(host: Service, job_ids: list[str]) -> dict[str, str]:
    return {job_id: host.job(job_id)["status"] for job_id in job_ids}


def test_a_stopped_postgresql_answers_503_fast_and_both_hosts_recover_by_themselves(
    hosts, postgres: PrivatePostgres
) -> None:
    first, second = hosts("first"), hosts("second")
    accepted: list[str] = []
    for host in (first, second):
        for n in range(5):
            reply = send_email(host, f"before {n}")
            assert reply.status == 202, reply
            accepted.append(reply.body["job_id"])
    # A burst just before the cut: some of these finish while the server is down, and their
    # final records must wait for it in memory.
    accepted += [send_email(first, f"burst {n}").body["job_id"] for n in range(10)]

    postgres.stop()
    stopped = time.monotonic()
    during: list[Reply] = []
    while time.monotonic() - stopped < OUTAGE_SECONDS:
        during += [send_email(host, "during") for host in (first, second)]
    ready = [call("GET", host.url + "/health/ready") for host in (first, second)]
    alive = [call("GET", host.url + "/health") for host in (first, second)]

    postgres.start()
    restarted = time.monotonic()
    back: dict[str, float] = {}
    while len(back) < 2:
        assert time.monotonic() - restarted < 30, "no host took a job within 30 s of the restart"
        for name, host in (("first", first), ("second", second)):
            reply = send_email(host, "after the restart")
            if reply.status == 202:
                accepted.append(reply.body["job_id"])
                back.setdefault(name, time.monotonic() - restarted)
        time.sleep(0.1)
    accepted += [send_email(host, "after").body["job_id"] for host in (first, second)]
    # Each host reads every job, the other's too.
    final = {
        name: {job["status"] for job in host.wait_for_jobs(accepted, FINISHED, timeout=30)}
        for name, host in (("first", first), ("second", second))
    }

    assert during and {reply.status for reply in during} == {503}
    assert max(reply.seconds for reply in during) < ANSWER_WITHIN
    assert all(int(reply.headers["retry-after"]) > 0 for reply in during)
    assert all("(JOBS_DATABASE_URL) is unavailable" in reply.body["detail"] for reply in during)
    assert [reply.status for reply in ready] == [503, 503]
    assert [reply.status for reply in alive] == [200, 200]
    assert max(back.values()) < 10, back
    assert final == {"first": {"succeeded"}, "second": {"succeeded"}}  # none queued, none lost
    print(  # the figures for the record: pytest -s shows them
        f"\noutage: {len(during)} requests answered 503, slowest in"
        f" {max(reply.seconds for reply in during):.3f} s; hosts took jobs again"
        f" {back['first']:.2f} s and {back['second']:.2f} s after the restart"
    )


def test_a_killed_host_s_running_jobs_are_recorded_interrupted_by_the_survivor(hosts) -> None:
    # A server that takes each message's data and never answers it: every send is under way
    # (past its point of no return, so recorded `running`) and hangs until it times out.
    port = free_port()
    with smtp_server(port, delay=600):
        hanging = {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port),
            "SMTP_STARTTLS": "false",
            "SMTP_TIMEOUT": "120",
        }
        doomed, survivor = hosts("doomed", **hanging), hosts("survivor", **hanging)
        doomed_jobs = [send_email(doomed, f"doomed {n}").body["job_id"] for n in range(3)]
        live_jobs = [send_email(survivor, f"live {n}").body["job_id"] for n in range(3)]
        everything = doomed_jobs + live_jobs
        survivor.wait_for_jobs(everything, {"running"}, timeout=15)

        doomed.stop(signal.SIGKILL)
        killed = time.monotonic()
        survivor.wait_for_jobs(doomed_jobs, {"interrupted"}, timeout=4 * LEASE_SECONDS + 5)
        swept_after = time.monotonic() - killed
        time.sleep(LEASE_SECONDS)  # more sweeps, by a survivor whose own jobs are still running

        after = statuses(survivor, everything)

    assert {after[job_id] for job_id in doomed_jobs} == {"interrupted"}
    assert {after[job_id] for job_id in live_jobs} == {"running"}
    assert swept_after < 2 * LEASE_SECONDS + 1.5, swept_after
    print(f"\nkill -9: the dead host's jobs were recorded interrupted after {swept_after:.2f} s")
