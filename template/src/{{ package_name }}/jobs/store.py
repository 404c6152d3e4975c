"""The jobs store: job records and process leases, in whichever database the service uses.

Writes go through one database thread that commits them in groups (writer.py); reads
run on a few threads of their own with their own connections, so they never queue
behind writes. Every fault surfaces as JobStoreUnavailableError, never as a dead store.
"""

import asyncio
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from . import queries
from .database import Changes, Connection, Database
from .errors import (
    JobLostError,
    JobStoreStartupError,
    JobStoreUnavailableError,
    LeaseLostError,
    describe,
)
from .idempotency import Idempotency
from .models import (
    Claim,
    ClaimedJob,
    IssuedReport,
    Job,
    JobRecord,
    JobStatus,
    NewJob,
    RecordedBefore,
)
from .writer import Write, Writer

T = TypeVar("T")

WRITE_DEADLINE = 4.0
"""Seconds a request waits for its job to be recorded before it answers 503."""
READERS = 4


def instance_id() -> str:
    """This process, as job records and leases name it: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Running:
    """A job's `running` record on its way to the database."""

    write: Write
    at: datetime


class JobStore:
    def __init__(self, database: Database, instance: str | None = None) -> None:
        self.database = database
        self.instance = instance or instance_id()
        """This process's identity in the store: the owner of the jobs it records and claims."""
        self._lease_taken = False
        self.writer = Writer(database)
        self._reads = ThreadPoolExecutor(READERS, thread_name_prefix="job-store-read")
        self._local = threading.local()
        self._readers: list[Connection] = []
        self._readers_lock = threading.Lock()
        self._version: asyncio.Future[str] | None = None

    @property
    def problem(self) -> str | None:
        """Why the store cannot take writes right now; None while it can."""
        return self.writer.problem

    async def open(self) -> None:
        """Migrate the schema and start the database thread (JobStoreStartupError if not)."""
        connection = await asyncio.to_thread(self._open)
        self.writer.start(connection)

    def _open(self) -> Connection:
        try:
            self.database.upgrade()
            return self.database.connect()
        except Exception as error:
            raise JobStoreStartupError(
                f"{self.database.name}: cannot open the jobs store: {describe(error)}"
            ) from error

    async def close(self) -> None:
        await self.writer.stop()
        self._reads.shutdown(wait=True)
        for connection in self._readers:
            self.database.close(connection)
        self._readers.clear()

    # Writes

    def claim(self, claim: Claim | None) -> Claim:
        """The claim a write is conditioned on: a job this identity recorded, by default."""
        return claim or Claim(self.instance)

    async def add(self, job: NewJob) -> RecordedBefore | None:
        """Record a new job `queued`, owned by this process; JobStoreUnavailableError if not.

        When its idempotency key (or the job it retries) is taken, nothing is recorded and
        the job that took it is returned. The job's claim is `Claim(self.instance)`.
        """
        db, owner = self.database, self.instance
        before: RecordedBefore | None = await self.writer.run(
            lambda connection: queries.insert_job(db, connection, job, owner), WRITE_DEADLINE
        )
        return before

    def started(self, job_id: str, attempt: int, claim: Claim | None = None) -> Running:
        """Record a job `running` (nobody waits); `finished` folds it in if not written yet."""
        db, at, owned = self.database, queries.now(), self.claim(claim)
        write = self.writer.submit_nowait(
            lambda connection: queries.mark_started(db, connection, job_id, owned, attempt, at)
        )
        return Running(write, at)

    def attempted(self, job_id: str, attempt: int, claim: Claim | None = None) -> None:
        """Record how many attempts a job has made, leaving its status as it is."""
        db, owned = self.database, self.claim(claim)
        self.writer.submit_nowait(
            lambda connection: queries.mark_attempts(db, connection, job_id, owned, attempt)
        )

    async def started_durably(self, job_id: str, attempt: int, claim: Claim | None = None) -> None:
        """Record a job `running` and wait for the commit (however long the store is away).

        JobLostError when another process has taken the job over meanwhile (or it ended).
        """
        db, at, owned = self.database, queries.now(), self.claim(claim)
        changes: Changes = await self.writer.run_durably(
            lambda connection: queries.mark_started(db, connection, job_id, owned, attempt, at)
        )
        if changes.rowcount != 1:
            raise JobLostError(job_id)

    async def finished(
        self,
        job_id: str,
        status: JobStatus,
        *,
        attempts: int | None = None,
        error: str | None = None,
        result: dict[str, Any] | None = None,
        running: Running | None = None,
        claim: Claim | None = None,
    ) -> bool:
        """Record a job's outcome; while the store is unavailable, wait until it takes it.

        A short job ends before its `running` record is written: that write is taken back
        and its start time goes into this one, one statement instead of two. False when
        another process has taken the job over: its record is that process's to write.
        """
        db, at, owned = self.database, queries.now(), self.claim(claim)
        started_at = running.at if running and self.writer.withdraw(running.write) else None
        changes: Changes = await self.writer.run_durably(
            lambda connection: queries.mark_finished(
                db, connection, job_id, owned, status, attempts, error, result, at, started_at
            )
        )
        return changes.rowcount == 1

    async def interrupt(self, claims: Mapping[str, Claim], reason: str) -> int:
        """Record the jobs interrupted, those still unfinished and still this process's."""
        db = self.database
        count: int = await self.writer.run(
            lambda connection: queries.mark_interrupted(db, connection, claims, reason),
            WRITE_DEADLINE,
        )
        return count

    async def release(self, claims: Mapping[str, Claim]) -> int:
        """Give unfinished jobs back `queued` with no owner, for a live process to run."""
        db = self.database
        count: int = await self.writer.run(
            lambda connection: queries.release(db, connection, claims), WRITE_DEADLINE
        )
        return count

    async def claim_abandoned(
        self, kinds: Sequence[str], idempotent_kinds: Sequence[str], reason: str
    ) -> tuple[list[ClaimedJob], int]:
        """Take over what can run again of the jobs no live process owns; interrupt the rest."""
        db, owner = self.database, self.instance
        outcome: tuple[list[ClaimedJob], int] = await self.writer.run(
            lambda connection: queries.claim_abandoned(
                db, connection, owner, kinds, idempotent_kinds, reason
            ),
            WRITE_DEADLINE,
        )
        return outcome

    async def renew_lease(self, seconds: float, deadline: float = WRITE_DEADLINE) -> None:
        """Tell every process sharing the store that this one is alive; it doubles as a probe.

        A new identity takes its first lease; after that, LeaseLostError when another process
        has found the lease run out and taken this one's jobs over (see `new_identity`).
        """
        db, instance, host, pid = self.database, self.instance, socket.gethostname(), os.getpid()
        if not self._lease_taken:
            await self.writer.run(
                lambda connection: queries.take_lease(db, connection, instance, host, pid, seconds),
                deadline,
            )
            self._lease_taken = instance == self.instance
            return
        renewed: Changes = await self.writer.run(
            lambda connection: queries.renew_lease(db, connection, instance, seconds), deadline
        )
        if renewed.rowcount != 1 and instance == self.instance:
            raise LeaseLostError(f"the lease of {instance} ran out and its jobs were taken over")

    def new_identity(self) -> None:
        """Come back as a process nobody took anything from: the next renewal takes a lease."""
        self.instance = instance_id()
        self._lease_taken = False

    async def release_lease(self) -> None:
        db, instance = self.database, self.instance
        await self.writer.run(
            lambda connection: queries.release_lease(db, connection, instance), WRITE_DEADLINE
        )

    async def claim_schedule_run(self, name: str, due_at: datetime, job: NewJob) -> bool:
        """Record the job of this due time of a schedule, unless another process already has."""
        db, owner = self.database, self.instance
        claimed: bool = await self.writer.run(
            lambda connection: queries.claim_schedule_run(db, connection, name, due_at, job, owner),
            WRITE_DEADLINE,
        )
        return claimed

    async def remember_key(
        self, scope: str, idempotency: Idempotency, answer_id: str
    ) -> RecordedBefore | None:
        """Keep an Idempotency-Key's answer for work that records no job (None: kept now)."""
        db, key, fingerprint = self.database, idempotency.key, idempotency.fingerprint
        before: RecordedBefore | None = await self.writer.run(
            lambda connection: queries.remember_request_key(
                db, connection, scope, key, fingerprint, answer_id
            ),
            WRITE_DEADLINE,
        )
        return before

    async def forget_key(self, scope: str, key: str) -> None:
        """The work was not handed over after all: the key is free for the next attempt."""
        db = self.database
        await self.writer.run(
            lambda connection: queries.forget_request_key(db, connection, scope, key),
            WRITE_DEADLINE,
        )

    async def add_issued_report(self, report: IssuedReport) -> None:
        """Record a report about to be handed to Celery, for the list of reports."""
        db = self.database
        await self.writer.run(
            lambda connection: queries.insert_issued_report(db, connection, report),
            WRITE_DEADLINE,
        )

    async def forget_issued_report(self, task_id: str) -> None:
        """The report was not handed over after all: it is no report."""
        db = self.database
        await self.writer.run(
            lambda connection: queries.delete_issued_report(db, connection, task_id),
            WRITE_DEADLINE,
        )

    async def add_run_elsewhere(self, job: NewJob, owner: str) -> RecordedBefore | None:
        """Record a job `queued` that `owner` runs, not this service (CELERY_OWNER); as `add`,
        nothing when the job it retries was retried already, and that retry is returned."""
        db = self.database
        before: RecordedBefore | None = await self.writer.run(
            lambda connection: queries.insert_job(db, connection, job, owner), WRITE_DEADLINE
        )
        return before

    async def forget_queued(self, job_id: str, owner: str) -> None:
        """The job was not handed over to `owner` after all: it is no job."""
        db = self.database
        await self.writer.run(
            lambda connection: queries.delete_queued_job(db, connection, job_id, owner),
            WRITE_DEADLINE,
        )

    async def follow(
        self,
        job_id: str,
        owner: str,
        status: JobStatus,
        *,
        error: str | None = None,
        result: dict[str, Any] | None = None,
        started_at: datetime | None = None,
    ) -> None:
        """Record where a job that `owner` runs stands, as long as its record is unfinished."""
        db = self.database
        await self.writer.run(
            lambda connection: queries.follow_job(
                db, connection, job_id, owner, status, error, result, started_at
            ),
            WRITE_DEADLINE,
        )

    async def prune(self, cutoff: datetime, batch: int) -> int:
        """Delete up to `batch` finished job records older than `cutoff`, with older schedule
        runs, request keys and issued reports."""
        db = self.database

        def delete(connection: Connection) -> int:
            queries.delete_schedule_runs_before(db, connection, cutoff)
            queries.delete_request_keys_before(db, connection, cutoff)
            queries.delete_issued_reports_before(db, connection, cutoff)
            return queries.delete_finished_before(db, connection, cutoff, batch)

        count: int = await self.writer.run(delete, WRITE_DEADLINE)
        return count

    # Reads

    async def get(self, job_id: str) -> JobRecord | None:
        db = self.database
        return await self._read(lambda connection: queries.select_job(db, connection, job_id))

    async def recent(
        self,
        status: JobStatus | None = None,
        limit: int = 50,
        before: str | None = None,
        kind: str | None = None,
    ) -> list[Job]:
        db = self.database
        return await self._read(
            lambda connection: queries.select_jobs(db, connection, status, limit, before, kind)
        )

    async def version(self) -> str:
        """A value that changes whenever any process changes a job (queries.select_version).

        Polls that arrive while it is being read share that read: however many dashboards
        poll, at most one such query per process runs at a time. A poll that joins a read
        already under way may miss a change committed meanwhile: its next poll sees it.
        """
        if self._version is None or self._version.done():
            db = self.database
            self._version = asyncio.ensure_future(
                self._read(lambda connection: queries.select_version(db, connection))
            )
        # Shielded: a poll whose client went away does not cancel the others' read.
        return await asyncio.shield(self._version)

    async def issued_reports(self, since: datetime, limit: int) -> list[IssuedReport]:
        """The reports handed to Celery at or after `since`, newest first."""
        db = self.database
        return await self._read(
            lambda connection: queries.select_issued_reports(db, connection, since, limit)
        )

    async def read(self, query: Callable[[Connection], T]) -> T:
        """Run `query` on a reader thread: for a feature that keeps a table of its own."""
        return await self._read(query)

    async def unfinished_of(self, owner: str, limit: int) -> list[JobRecord]:
        """The oldest unfinished jobs that `owner` runs, not this service."""
        db = self.database
        return await self._read(
            lambda connection: queries.select_unfinished_of(db, connection, owner, limit)
        )

    async def _read(self, query: Callable[[Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reads, self._read_here, query)

    def _read_here(self, query: Callable[[Connection], T]) -> T:
        """On a reader thread, with that thread's own connection."""
        try:
            connection = self._reader()
            return query(connection)
        except Exception as error:
            if not self.database.is_unavailable(error):
                raise
            self._local.connection = None
            raise JobStoreUnavailableError(f"{self.database.name}: {describe(error)}") from error

    def _reader(self) -> Connection:
        """This thread's connection, opened or re-opened as needed; any failure: unavailable."""
        try:
            connection = getattr(self._local, "connection", None)
            if connection is None:
                connection = self._local.connection = self._new_reader()
            current = self.database.ensure_current(connection)
        except Exception as error:
            self._local.connection = None
            raise JobStoreUnavailableError(f"{self.database.name}: {describe(error)}") from error
        if current is not connection:  # re-opened: closed at close() like the first one
            self._track(current)
        self._local.connection = current
        return current

    def _new_reader(self) -> Connection:
        connection = self.database.connect_reader()
        self._track(connection)
        return connection

    def _track(self, connection: Connection) -> None:
        with self._readers_lock:
            self._readers.append(connection)
