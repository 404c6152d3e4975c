"""Fencing on real processes: a `serve` paused past its lease (SIGSTOP standing in for a long
GC or VM pause) while it sends email, another one taking its jobs over, then the first resumed.

Each message reaches the SMTP server exactly once and every record ends true; the PostgreSQL
variant, a host cut off from the database by a proxy, is in tests/test_postgres_faults.py.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

import pytest
from conftest import shared_environment
from live_service import (
    ALL_IN_PROCESS,
    Service,
    free_port,
    send_emails,
    send_emails_across_a_pause,
    smtp_server,
)

pytestmark = pytest.mark.slow

LEASE_SECONDS = "3"
MESSAGES = 8


@pytest.fixture
def project(rendered) -> Path:
    return rendered("all-in-process", ALL_IN_PROCESS)


def test_a_process_paused_past_its_lease_never_sends_what_another_took_over(
    project: Path, tmp_path: Path
) -> None:
    environment = shared_environment(ALL_IN_PROCESS["python_version"])
    port = free_port()
    with smtp_server(port, delay=1.0) as smtp:
        settings = {
            "JOBS_DB": str(tmp_path / "jobs.sqlite3"),  # one store, two processes
            "JOBS_LEASE_SECONDS": LEASE_SECONDS,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port),
            "SMTP_STARTTLS": "false",
            "SMTP_MAX_CONNECTIONS": "1",
            "SMTP_TIMEOUT": "60",  # the pause is not the SMTP server's slowness
        }
        paused = Service(project, environment, tmp_path / "paused", settings)
        survivor = Service(project, environment, tmp_path / "survivor", settings)
        try:
            paused.start(), survivor.start()
            assert paused.process is not None
            pid = paused.process.pid
            records = send_emails_across_a_pause(
                paused,
                survivor,
                smtp,
                pause=lambda: os.kill(pid, signal.SIGSTOP),
                resume=lambda: os.kill(pid, signal.SIGCONT),
                count=MESSAGES,
            )
            # The resumed process carries on under a new identity: it takes and sends new work.
            (after,) = send_emails(paused, 1, prefix="after the pause")
            paused.wait_for_jobs([after], {"succeeded"}, timeout=30)
            subjects = Counter(smtp.subjects())
        finally:
            paused.kill_if_running()
            survivor.kill_if_running()

    assert subjects == Counter(
        {**{f"fenced {n}": 1 for n in range(MESSAGES)}, "after the pause 0": 1}
    )
    assert {record["status"] for record in records} == {"succeeded"}
    # The one it had sent before the pause is its own record; the others are the survivor's.
    assert sorted(Counter(record["owner"] for record in records).values()) == [1, MESSAGES - 1]
    assert all(record["error"] is None for record in records)
