"""Chaos on real processes: three `serve` processes share one jobs store while mixed jobs
(email, files, the admin webhook) are posted all along, and every 2-3 s a random process is
SIGKILLed (and started again) or SIGSTOPped for up to 1.5 leases and SIGCONTed.

Afterwards, counted at the SMTP server, at the webhook and in the store: every 202 has a
record, no email or webhook arrived twice, every job ended, each with a reason unless it
succeeded, and how long after the last kill or resume the last one ended.

tests/test_chaos.py runs it briefly on both engines; bench/phases/chaos.py at full length.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from http.client import HTTPException
from pathlib import Path
from typing import Any

from live_service import FINISHED, Service, free_port, http, smtp_server, webhook_server

KINDS = ("email", "files", "webhook")
POSTERS = 6
"""Requests in flight at once."""


@dataclass
class Outcome:
    accepted: dict[str, str]
    """Job name (its subject, file name or user name) -> the id its 202 gave."""
    records: dict[str, dict[str, Any]]
    """Job id -> its final record."""
    emails: Counter[str]
    webhooks: Counter[str]
    events: list[str]
    settled_after: float
    """Seconds from the last kill, resume or job posted to the last job's end (as the records
    say)."""
    lease: float

    @property
    def statuses(self) -> Counter[str]:
        return Counter(record["status"] for record in self.records.values())

    @property
    def twice(self) -> int:
        return sum(count > 1 for count in (self.emails + self.webhooks).values())

    @property
    def unrecorded(self) -> list[str]:
        return [name for name, job_id in self.accepted.items() if job_id not in self.records]

    @property
    def unexplained(self) -> list[dict[str, Any]]:
        """Records neither succeeded nor carrying a reason."""
        return [r for r in self.records.values() if r["status"] != "succeeded" and not r["error"]]

    def summary(self) -> str:
        kills = sum(event.startswith("kill") for event in self.events)
        return (
            f"chaos: {len(self.accepted)} accepted, {len(self.records)} recorded,"
            f" statuses {dict(sorted(self.statuses.items()))}, {self.twice} sent twice;"
            f" {kills} kills and {len(self.events) - kills} pauses;"
            f" settled {self.settled_after:.2f} s after the last one (or the last job posted)"
            f" ({self.settled_after / self.lease:.2f} leases)"
        )


def post_job(services: list[Service], number: int, deadline: float) -> tuple[str, str | None]:
    """Post job `number` to a live process, again elsewhere until one answers 202 (its
    Idempotency-Key makes the retries one job); the job's name and id (None: never taken)."""
    kind = KINDS[number % len(KINDS)]
    name = f"chaos-{number}"
    path, body = {
        "email": ("/emails", {"to": "user@example.com", "subject": name, "body": "chaos"}),
        "files": ("/files", {"file_name": f"{name}.txt", "content": "chaos"}),
        "webhook": ("/register", {"username": name}),
    }[kind]
    while time.monotonic() < deadline:
        service = random.choice(services)
        try:
            response = http(
                "POST", service.url + path, body, headers={"Idempotency-Key": name}, timeout=3
            )
        except (OSError, HTTPException):
            # Down, paused, restarting, or killed halfway through its answer (IncompleteRead):
            # another one takes it, and the key makes both one job.
            continue
        if response.status == 202:
            return name, response.body["job_id"]
        time.sleep(0.05)
    return name, None


class Disorder:
    """Every 2-3 s, a random process killed and started again, or paused and resumed."""

    def __init__(self, services: list[Service], lease: float) -> None:
        self.services = services
        self.lease = lease
        self.events: list[str] = []
        self.last = time.time()
        """When the last kill or resume happened (wall clock, as the job records' times)."""
        self._stop = threading.Event()
        self._busy: set[int] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        while self._busy:  # the last pause's resume, the last kill's restart
            time.sleep(0.05)

    def _run(self) -> None:
        while not self._stop.wait(random.uniform(2, 3)):
            with self._lock:
                idle = [n for n in range(len(self.services)) if n not in self._busy]
                if len(idle) < 2:  # always one process left to answer
                    continue
                number = random.choice(idle)
                self._busy.add(number)
            action = self._kill if random.random() < 0.5 else self._pause
            threading.Thread(target=action, args=(number,), daemon=True).start()

    def _kill(self, number: int) -> None:
        service = self.services[number]
        service.stop(signal.SIGKILL)
        self._happened(f"kill {number}")
        service.start()
        self._done(number)

    def _pause(self, number: int) -> None:
        process = self.services[number].process
        assert process is not None
        seconds = random.uniform(0.5, 1.5 * self.lease)
        os.kill(process.pid, signal.SIGSTOP)
        time.sleep(seconds)
        os.kill(process.pid, signal.SIGCONT)
        self._happened(f"pause {number} for {seconds:.1f} s")
        self._done(number)

    def _happened(self, event: str) -> None:
        with self._lock:
            self.events.append(event)
            self.last = time.time()

    def _done(self, number: int) -> None:
        with self._lock:
            self._busy.discard(number)


def stored_jobs(service: Service) -> dict[str, dict[str, Any]]:
    """Every job record, through the API's pages."""
    records: dict[str, dict[str, Any]] = {}
    query: dict[str, str] = {"limit": "500"}
    while True:
        page = service.get("/jobs?" + urllib.parse.urlencode(query)).body
        records.update({record["id"]: record for record in page})
        if len(page) < 500:
            return records
        query["before"] = page[-1]["id"]


def wait_until_settled(service: Service, job_ids: set[str], timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        records = stored_jobs(service)
        if all(records.get(job_id, {}).get("status") in FINISHED for job_id in job_ids):
            return records
        if time.monotonic() > deadline:
            unfinished = {i: records.get(i, {}).get("status") for i in job_ids}
            left = {i: s for i, s in unfinished.items() if s not in FINISHED}
            raise AssertionError(f"{len(left)} job(s) never ended: {list(left.items())[:10]}")
        time.sleep(0.1)


def at(record: dict[str, Any], time_field: str) -> float:
    return datetime.fromisoformat(record[time_field]).timestamp()


@contextmanager
def three_processes(
    project: Path, environment: Path, workdir: Path, store: dict[str, str], lease: float
) -> Iterator[tuple[list[Service], Any, Any]]:
    with ExitStack() as stack:
        smtp_port = free_port()
        smtp = stack.enter_context(smtp_server(smtp_port))
        webhook = stack.enter_context(webhook_server([]))
        settings = {
            **store,
            "JOBS_LEASE_SECONDS": str(lease),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "SMTP_STARTTLS": "false",
            "ADMIN_WEBHOOK_URL": webhook.url,
        }
        services = [
            Service(project, environment, workdir / f"process-{n}", settings) for n in range(3)
        ]
        for service in services:
            stack.callback(service.kill_if_running)
            service.start()
        yield services, smtp, webhook


def run_chaos(
    project: Path,
    environment: Path,
    workdir: Path,
    store: dict[str, str],
    seconds: float,
    jobs: int,
    lease: float = 2.0,
) -> Outcome:
    """`jobs` jobs posted evenly over `seconds` while the processes are disordered."""
    with three_processes(project, environment, workdir, store, lease) as (services, smtp, hook):
        disorder = Disorder(services, lease)
        started = time.monotonic()
        deadline = started + seconds + 60
        disorder.start()
        with ThreadPoolExecutor(POSTERS) as posters:
            futures = []
            for number in range(jobs):
                time.sleep(max(0.0, started + number * seconds / jobs - time.monotonic()))
                futures.append(posters.submit(post_job, services, number, deadline))
            answers = [future.result() for future in futures]
        disorder.stop()
        accepted = {name: job_id for name, job_id in answers if job_id is not None}
        records = wait_until_settled(services[0], set(accepted.values()), timeout=120)
        settled = max(at(record, "finished_at") for record in records.values())
        # From the last disturbance or the last job posted, whichever came later.
        quiet = max(disorder.last, *(at(record, "created_at") for record in records.values()))
        time.sleep(lease)  # a late duplicate would show by now
        return Outcome(
            accepted=accepted,
            records={job_id: records[job_id] for job_id in accepted.values() if job_id in records},
            emails=Counter(smtp.subjects()),
            webhooks=Counter(str(payload["user"]) for payload in hook.received),
            events=disorder.events,
            settled_after=max(0.0, settled - quiet),
            lease=lease,
        )
