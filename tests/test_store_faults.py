"""Faults of the jobs store under a running service, on real processes.

The generated service (every in-process feature on, SQLite store) runs as
`python -m <package> serve`. Whatever happens to JOBS_DB, a request never hangs and never
answers 500: it is accepted and recorded, or it answers 503 with Retry-After naming the
cause; `/health` stays 200 while `/health/ready` says what is wrong; and the store comes
back by itself once the cause is gone.
"""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import shared_environment
from live_service import ALL_IN_PROCESS, Response, Service, running, wait_until

pytestmark = pytest.mark.slow

LOCK_SECONDS = 7.0
PROMPT = 6.0
"""Seconds within which every request answers, whatever the store's state."""


@pytest.fixture
def project(rendered) -> Path:
    return rendered("all-in-process", ALL_IN_PROCESS)


@pytest.fixture
def service(project: Path, tmp_path: Path) -> Iterator[Service]:
    environment = shared_environment(ALL_IN_PROCESS["python_version"])
    service = Service(project, environment, tmp_path / "service", {"JOBS_LEASE_SECONDS": "3"})
    yield service
    service.kill_if_running()


def post_file(service: Service, name: str) -> Response:
    return service.post("/files", {"file_name": name, "content": "x" * 1024}, timeout=30)


@contextlib.contextmanager
def write_lock(path: str, seconds: float) -> Iterator[None]:
    """An operator's `sqlite3` session holding the write lock (BEGIN IMMEDIATE) for a while."""
    locked = threading.Event()

    def hold() -> None:
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
            connection.execute("BEGIN IMMEDIATE")
            locked.set()
            time.sleep(seconds)
            connection.execute("ROLLBACK")

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait()
    try:
        yield
    finally:
        holder.join()


def assert_unavailable(response: Response, cause: str) -> None:
    assert response.status == 503, response
    assert int(response.headers["retry-after"]) > 0
    detail = response.body["detail"]
    assert detail.startswith("the jobs store (JOBS_DB) is unavailable: "), response
    assert cause in detail, response


def test_a_lock_held_past_the_busy_timeout_never_hangs_a_request(service: Service) -> None:
    with running(service):
        accepted_before = post_file(service, "before.txt")
        with write_lock(service.settings["JOBS_DB"], LOCK_SECONDS), ThreadPoolExecutor(8) as pool:
            readiness = pool.submit(service.get, "/health/ready")
            liveness = pool.submit(service.get, "/health")
            during = list(pool.map(lambda n: post_file(service, f"during-{n}.txt"), range(16)))
            ready, live = readiness.result(), liveness.result()
        after = post_file(service, "after.txt")
        accepted = [r.body["job_id"] for r in [accepted_before, *during, after] if r.status == 202]
        finished = service.wait_for_jobs(accepted)

    assert all(response.status in (202, 503) for response in during), during
    assert max(response.seconds for response in during) < PROMPT
    for response in during:
        if response.status == 503:
            assert_unavailable(response, "another process holds its lock")
    assert any(response.status == 503 for response in during)
    assert ready.status == 503 and "another process holds its lock" in ready.body["checks"]["jobs"]
    assert live.status == 200
    assert after.status == 202
    assert {job["status"] for job in finished} == {"succeeded"}  # none left queued
    assert "Exception in ASGI application" not in service.log()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs: JOBS_DB's own file system, that the test can fill and empty."""
    mountpoint = tmp_path / "small-disk"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def fill(directory: Path) -> Path:
    filler = directory / "filler"
    with filler.open("wb") as file, contextlib.suppress(OSError):
        while True:
            file.write(b"\0" * 65536)
            file.flush()
    return filler


def test_a_full_disk_under_jobs_db_answers_503_and_recovers_when_space_returns(
    service: Service, small_disk: Path
) -> None:
    service.settings["JOBS_DB"] = str(small_disk / "jobs.sqlite3")
    with running(service):
        assert post_file(service, "first.txt").status == 202
        filler = fill(small_disk)
        while_full = [post_file(service, f"full-{n}.txt") for n in range(40)]
        ready_while_full = service.get("/health/ready")
        live = service.get("/health")
        filler.unlink()
        wait_until(lambda: service.get("/health/ready").status == 200, 15, "readiness again")
        after = post_file(service, "after.txt")
        accepted = [r.body["job_id"] for r in [*while_full, after] if r.status == 202]
        finished = service.wait_for_jobs(accepted)

    assert all(response.status in (202, 503) for response in while_full), while_full
    refused = [response for response in while_full if response.status == 503]
    assert refused, "a full disk must refuse jobs it cannot record"
    for response in refused:
        assert_unavailable(response, "full")
    assert ready_while_full.status == 503
    assert live.status == 200
    assert after.status == 202
    assert {job["status"] for job in finished} == {"succeeded"}
    assert "Exception in ASGI application" not in service.log()


def test_a_deleted_jobs_db_is_re_created_and_never_written_blind(service: Service) -> None:
    with running(service):
        before = post_file(service, "before.txt")
        service.wait_for_jobs([before.body["job_id"]])
        Path(service.settings["JOBS_DB"]).unlink()
        after = post_file(service, "after.txt")
        [job] = service.wait_for_jobs([after.body["job_id"]])
        stored = service.stored_jobs()

    assert after.status == 202 and job["status"] == "succeeded"
    assert after.body["job_id"] in stored  # in the file every process and the CLI read
    assert "was deleted or replaced" in service.log()


def corrupt(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a database" * 512)


@pytest.mark.parametrize(
    ("make_broken", "cause"),
    [
        (lambda path: path.mkdir(parents=True), "unable to open"),
        (lambda path: corrupt(path), "not a database"),
    ],
    ids=["a-directory", "a-corrupt-file"],
)
def test_an_unusable_jobs_db_stops_serve_with_one_line_naming_it(
    service: Service, make_broken, cause: str
) -> None:
    path = Path(service.settings["JOBS_DB"])
    make_broken(path)
    result = subprocess.run(
        [str(service.python), "-m", service.package, "serve", "--port", "0"],
        cwd=service.workdir,
        env=service.process_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert f"JOBS_DB={path}" in line and cause in line, result.stderr
