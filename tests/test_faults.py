"""Faults on real processes: signals, a slow or absent SMTP server, a failing webhook, a full disk.

The generated service (every in-process feature on) runs as `python -m <package> serve`;
the SMTP server (aiosmtpd) and the webhook are real servers on loopback. Whatever
happens, no job may be left looking alive, none may vanish, and the API never answers 500.
"""

from __future__ import annotations

import resource
import signal
from pathlib import Path

import pytest
from conftest import shared_environment
from live_service import (
    ALL_IN_PROCESS,
    Service,
    free_port,
    running,
    send_emails,
    smtp_server,
    wait_until,
    webhook_server,
)

pytestmark = pytest.mark.slow

# What the service adds to SHUTDOWN_TIMEOUT before it exits: the runner's grace for
# cancelled jobs to record themselves, plus process start-up and teardown on a busy machine.
EXIT_MARGIN = 6.0


@pytest.fixture
def project(rendered) -> Path:
    return rendered("all-in-process", ALL_IN_PROCESS)


@pytest.fixture
def environment() -> Path:
    return shared_environment(ALL_IN_PROCESS["python_version"])


@pytest.fixture
def make_service(project: Path, environment: Path, tmp_path: Path):
    services: list[Service] = []

    def make(**settings: str) -> Service:
        service = Service(project, environment, tmp_path / "service", settings)
        services.append(service)
        return service

    yield make
    for service in services:
        service.kill_if_running()


def smtp_settings(port: int, **more: str) -> dict[str, str]:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "false", **more}


def test_sigterm_lets_in_flight_jobs_finish_within_the_shutdown_timeout(make_service) -> None:
    port = free_port()
    with smtp_server(port, delay=1.0) as smtp:
        service = make_service(**smtp_settings(port), SHUTDOWN_TIMEOUT="8")
        with running(service):
            ids = send_emails(service, 5)
            wait_until(lambda: smtp.sessions == 5, 10, "all five messages to reach the server")

            code, seconds = service.stop(signal.SIGTERM)

    assert code == 0, service.log()
    assert seconds < 8 + EXIT_MARGIN
    stored = service.stored_jobs()
    assert {stored[job_id]["status"] for job_id in ids} == {"succeeded"}
    assert sorted(smtp.subjects()) == [f"fault {i}" for i in range(5)]


def test_sigterm_past_the_shutdown_timeout_records_the_rest_interrupted(make_service) -> None:
    port = free_port()
    with smtp_server(port, delay=60) as smtp:
        service = make_service(**smtp_settings(port, SMTP_TIMEOUT="120"), SHUTDOWN_TIMEOUT="1")
        with running(service):
            emails = send_emails(service, 3)
            quick = service.post("/files", {"file_name": "done.txt", "content": "x"})
            service.wait_for_jobs([quick.body["job_id"]])
            wait_until(lambda: smtp.sessions == 3, 10, "the messages to reach the slow server")

            code, seconds = service.stop(signal.SIGTERM)

    assert code == 0, service.log()
    assert seconds < 1 + EXIT_MARGIN
    stored = service.stored_jobs()
    assert stored[quick.body["job_id"]]["status"] == "succeeded"
    for job_id in emails:
        assert stored[job_id]["status"] == "interrupted"
        assert "shut down" in stored[job_id]["error"]
        assert stored[job_id]["finished_at"] is not None
    assert not [job for job in stored.values() if job["status"] in ("queued", "running")]
    assert smtp.messages == []


def test_sigkill_mid_job_then_restart_marks_the_dead_jobs_interrupted(make_service) -> None:
    hung_port, healthy_port = free_port(), free_port()
    with smtp_server(hung_port, delay=60) as hung, smtp_server(healthy_port) as healthy:
        # A short lease: the restarted process records the dead one's jobs within seconds.
        service = make_service(
            **smtp_settings(hung_port, SMTP_TIMEOUT="120", JOBS_LEASE_SECONDS="2")
        )
        with running(service):
            dead = send_emails(service, 3, prefix="before")
            service.wait_for_jobs(dead, statuses={"running"})
            code, _ = service.stop(signal.SIGKILL)
        assert code == -signal.SIGKILL
        assert {job["status"] for job in service.stored_jobs().values()} == {"running"}

        service.settings.update(smtp_settings(healthy_port))
        with running(service):
            assert {job["status"] for job in service.wait_for_jobs(dead)} == {"interrupted"}
            fresh = send_emails(service, 2, prefix="after")
            assert {job["status"] for job in service.wait_for_jobs(fresh)} == {"succeeded"}
            service.stop()

    assert sorted(healthy.subjects()) == ["after 0", "after 1"]
    assert hung.messages == []


def test_smtp_down_then_up_is_retried_until_delivered(make_service) -> None:
    port = free_port()  # nothing listens here yet
    service = make_service(
        **smtp_settings(port),
        JOB_RETRY_ATTEMPTS="30",
        JOB_RETRY_BASE_DELAY="0.2",
        JOB_RETRY_MAX_DELAY="0.4",
    )
    with running(service):
        ids = send_emails(service, 3)
        wait_until(
            lambda: all(service.job(job_id)["attempts"] >= 2 for job_id in ids),
            20,
            "a failed first attempt for every email",
        )
        assert service.get("/jobs?status=running").status == 200
        with smtp_server(port) as smtp:
            jobs = service.wait_for_jobs(ids, timeout=30)
            service.stop()

    assert [job["status"] for job in jobs] == ["succeeded"] * 3
    assert all(job["attempts"] >= 2 for job in jobs)
    assert sorted(smtp.subjects()) == ["fault 0", "fault 1", "fault 2"]


def test_smtp_down_for_good_fails_after_the_retry_budget_with_the_error(make_service) -> None:
    port = free_port()  # nothing ever listens here
    service = make_service(**smtp_settings(port), JOB_RETRY_ATTEMPTS="3")
    with running(service):
        ids = send_emails(service, 2)
        jobs = service.wait_for_jobs(ids)
        listing = service.get("/jobs?status=failed")
        another = service.post("/emails", {"to": "x@example.com", "subject": "s", "body": "b"})

    for job in jobs:
        assert job["status"] == "failed"
        assert job["attempts"] == 3
        assert str(port) in job["error"] or "onnect" in job["error"], job["error"]
    assert listing.status == 200
    assert {job["id"] for job in listing.body} >= set(ids)
    assert another.status == 202


def test_a_slow_final_smtp_reply_delivers_each_message_once_and_records_it_uncertain(
    make_service,
) -> None:
    """The relay stores each message and answers after SMTP_DATA_TIMEOUT: resending would
    deliver it again (four copies each, with the default JOB_RETRY_ATTEMPTS)."""
    port = free_port()
    with smtp_server(port, reply_delay=5) as smtp:
        service = make_service(**smtp_settings(port, SMTP_DATA_TIMEOUT="1"))
        with running(service):
            ids = send_emails(service, 3)
            jobs = service.wait_for_jobs(ids, timeout=30)
            arrived = sorted(smtp.subjects())
            unconfirmed = service.post(f"/jobs/{ids[0]}/retry", None)
            smtp.reply_delay = 0
            confirmed = service.post(f"/jobs/{ids[0]}/retry?confirm=true", None)
            [retried] = service.wait_for_jobs([confirmed.body["job_id"]], timeout=30)
            service.stop()

    assert arrived == ["fault 0", "fault 1", "fault 2"]
    for job in jobs:
        assert job["status"] == "uncertain"
        assert job["attempts"] == 1
        assert job["error"].startswith("may have been delivered: no reply to the end of DATA")
    assert unconfirmed.status == 409, unconfirmed.body
    assert confirmed.status == 202, confirmed.body
    assert retried["status"] == "succeeded"
    assert sorted(smtp.subjects()) == ["fault 0", "fault 0", "fault 1", "fault 2"]


def test_webhook_errors_are_retried_and_an_unanswered_request_is_uncertain(make_service) -> None:
    with webhook_server([500, 503, ("hang", 3), 200]) as webhook:
        service = make_service(
            ADMIN_WEBHOOK_URL=webhook.url, HTTP_TIMEOUT="0.5", JOB_RETRY_ATTEMPTS="6"
        )
        with running(service):
            response = service.post("/register", {"username": "ada"})
            assert response.status == 202
            [job] = service.wait_for_jobs([response.body["job_id"]], timeout=30)

    # The third request went out and got no answer: the webhook may have acted on it.
    assert job["status"] == "uncertain"
    assert job["attempts"] == 3
    assert "ReadTimeout" in job["error"], job["error"]
    assert webhook.received == [{"user": "ada"}] * 3


def test_a_hanging_webhook_never_blocks_register(make_service) -> None:
    with webhook_server([("hang", 10)] * 20) as webhook:
        service = make_service(
            ADMIN_WEBHOOK_URL=webhook.url, HTTP_TIMEOUT="3", JOB_RETRY_ATTEMPTS="2"
        )
        with running(service):
            responses = [service.post("/register", {"username": f"u{i}"}) for i in range(5)]
            jobs = service.wait_for_jobs([r.body["job_id"] for r in responses], timeout=60)

    assert [r.status for r in responses] == [202] * 5
    # Each job waits HTTP_TIMEOUT (3 s) on the webhook; no response waited for one.
    assert max(r.seconds for r in responses) < 1.5
    for job in jobs:
        assert job["status"] == "uncertain"  # sent, never answered: not sent again
        assert job["attempts"] == 1
        assert "ReadTimeout" in job["error"], job["error"]
    assert len(webhook.received) == 5


def limit_file_size() -> None:
    """Like a full disk for this process: writes past 256 KiB fail (EFBIG, "File too large").

    Works as root too, where a read-only mode would not stop anything. Python ignores
    SIGXFSZ, so the write fails with an error instead of killing the process.
    """
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))


def test_a_file_job_too_big_for_the_disk_is_refused_and_leaves_nothing(make_service) -> None:
    # The job's record stores its arguments, so the content meets the limit there first:
    # the job is not accepted (503), and nothing of it is written anywhere.
    service = make_service()
    service.preexec = limit_file_size
    with running(service):
        big = service.post("/files", {"file_name": "big.txt", "content": "x" * 600_000})
        small = service.post("/files", {"file_name": "small.txt", "content": "fits"})
        [after] = service.wait_for_jobs([small.body["job_id"]])

    assert big.status == 503, big.body
    assert "retry-after" in big.headers
    files_dir = Path(service.settings["FILES_DIR"])
    assert sorted(path.name for path in files_dir.iterdir()) == ["small.txt"]  # no partial file
    assert after["status"] == "succeeded"


def test_a_file_job_whose_directory_cannot_exist_is_recorded_failed(
    make_service, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-regular-file"
    blocker.write_text("FILES_DIR lies under me, so it can never be created")
    service = make_service(FILES_DIR=str(blocker / "files"))
    with running(service):
        response = service.post("/files", {"file_name": "x.txt", "content": "x"})
        [job] = service.wait_for_jobs([response.body["job_id"]])
        health = service.get("/health")

    assert response.status == 202
    assert job["status"] == "failed"
    assert "NotADirectoryError" in job["error"] or "Not a directory" in job["error"], job["error"]
    assert health.status == 200
