"""PostgreSQL under running services: the server stopped and started again, and a host killed.

A private PostgreSQL (initdb and pg_ctl, on a free loopback port, in a folder of its own), so
that stopping it disturbs no other server; two real `serve` processes of the postgresql-store
combination on it as two hosts (two ports, two working directories, one database). Every
server and service started here is stopped by its own PID.
"""

from __future__ import annotations

import json
import signal
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from combos import SUPPORTED
from conftest import shared_environment
from live_service import (
    FINISHED,
    PausableProxy,
    Service,
    free_port,
    send_emails_across_a_pause,
    smtp_server,
)
from private_postgres import PrivatePostgres

COMBO = "postgresql-store"
pytestmark = pytest.mark.slow

LEASE_SECONDS = 2.0
OUTAGE_SECONDS = 6.0
# A request waits at most WRITE_DEADLINE (4 s) for its job to be recorded; plus HTTP overhead.
ANSWER_WITHIN = 5.0


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


def test_a_host_cut_off_from_the_database_never_sends_what_another_took_over(hosts) -> None:
    # The cut-off host's connections stay open and silent (a TCP proxy holding its traffic),
    # as when a network partition, not a crash, separates it from PostgreSQL.
    port = free_port()
    with smtp_server(port, delay=1.0) as smtp:
        settings = {
            "JOBS_LEASE_SECONDS": "3",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port),
            "SMTP_STARTTLS": "false",
            "SMTP_MAX_CONNECTIONS": "1",
            "SMTP_TIMEOUT": "60",  # the pause is not the SMTP server's slowness
        }
        survivor = hosts("survivor", **settings)
        database = survivor.settings["JOBS_DATABASE_URL"]
        proxy = PausableProxy(int(database.rsplit(":", 1)[1].split("/")[0]))
        try:
            through_proxy = database.replace(f":{proxy.target_port}/", f":{proxy.port}/")
            cut_off = hosts("cut-off", JOBS_DATABASE_URL=through_proxy, **settings)
            records = send_emails_across_a_pause(
                cut_off, survivor, smtp, pause=proxy.pause, resume=proxy.resume, count=8
            )
        finally:
            proxy.close()
        subjects = Counter(smtp.subjects())

    assert subjects == Counter({f"fenced {n}": 1 for n in range(8)})
    assert {record["status"] for record in records} == {"succeeded"}
    assert sorted(Counter(record["owner"] for record in records).values()) == [1, 7]
