"""The jobs store: job records and process leases, in whichever database the service uses.

Writes go through one database thread that commits them in groups (record_writer.py);
reads run on a few threads of their own with their own connections, so they never queue
behind writes (readers.py). Each operation is one statement of queries.py or takeover.py,
bound to this store's database (`bound`). Every fault surfaces as JobStoreUnavailableError,
never as a dead store.
"""

import asyncio
import os
import socket
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from . import queries, takeover
from .database import Connection, Database
from .errors import (
    JobLostError,
    JobStoreStartupError,
    LeaseLostError,
    describe,
)
from .readers import Readers
from .record_writer import Writer
from .records import (
    Claim,
    Job,
    JobRecord,
    JobStatus,
    NewJob,
    RecordedBefore,
    TakenOver,
)
from .writes import Write

T = TypeVar("T")
P = ParamSpec("P")

WRITE_DEADLINE = 4.0
"""Seconds a request waits for its job to be recorded before it answers 503."""


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
        self.readers = Readers(database)
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
        self.readers.close()

    def bound(
        self,
        statement: Callable[Concatenate[Database, Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Callable[[Connection], T]:
        """`statement` with this store's database and these arguments, for whichever
        connection runs it: the database thread's, or a reader's."""
        database = self.database
        return lambda connection: statement(database, connection, *args, **kwargs)

    # Writes

    def claim(self, claim: Claim | None) -> Claim:
        """The claim a write is conditioned on: a job this identity recorded, by default."""
        return claim or Claim(self.instance)

    async def add(self, job: NewJob) -> RecordedBefore | None:
        """Record a new job `queued`, owned by this process; JobStoreUnavailableError if not.

        When its idempotency key (or the job it retries) is taken, nothing is recorded and
        the job that took it is returned. The job's claim is `Claim(self.instance)`.
        """
        insert = self.bound(queries.insert_job, job, self.instance)
        return await self.writer.run(insert, WRITE_DEADLINE)

    def started(self, job_id: str, attempt: int, claim: Claim | None = None) -> Running:
        """Record a job `running` (nobody waits); `finished` folds it in if not written yet."""
        at, owned = queries.now(), self.claim(claim)
        mark = self.bound(queries.mark_started, job_id, owned, attempt, at)
        return Running(self.writer.submit_nowait(mark), at)

    def attempted(self, job_id: str, attempt: int, claim: Claim | None = None) -> None:
        """Record how many attempts a job has made, leaving its status as it is."""
        mark = self.bound(queries.mark_attempts, job_id, self.claim(claim), attempt)
        self.writer.submit_nowait(mark)

    async def started_durably(self, job_id: str, attempt: int, claim: Claim | None = None) -> None:
        """Record a job `running` and wait for the commit (however long the store is away).

        JobLostError when another process has taken the job over meanwhile (or it ended).
        """
        at, owned = queries.now(), self.claim(claim)
        mark = self.bound(queries.mark_started, job_id, owned, attempt, at)
        if (await self.writer.run_durably(mark)).rowcount != 1:
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
        at, owned = queries.now(), self.claim(claim)
        started_at = running.at if running and self.writer.withdraw(running.write) else None
        mark = self.bound(
            queries.mark_finished, job_id, owned, status, attempts, error, result, at, started_at
        )
        return (await self.writer.run_durably(mark)).rowcount == 1

    async def interrupt(self, claims: Mapping[str, Claim], reason: str) -> int:
        """Record the jobs interrupted, those still unfinished and still this process's."""
        mark = self.bound(queries.mark_interrupted, claims, reason)
        return await self.writer.run(mark, WRITE_DEADLINE)

    async def release(self, claims: Mapping[str, Claim], owner: str | None = None) -> int:
        """Give unfinished jobs back `queued` with no owner (or `owner`, a host's "host:"),
        for a live process to run."""
        return await self.writer.run(self.bound(queries.release, claims, owner), WRITE_DEADLINE)

    async def claim_abandoned(
        self,
        kinds: Sequence[str],
        idempotent_kinds: Sequence[str],
        reason: str,
        local_kinds: Sequence[str] = (),
        max_recoveries: int = 3,
    ) -> tuple[list[TakenOver], int, int]:
        """Take over what can run again of the jobs no live process owns (but host-local
        kinds' jobs of another host) into this process's backlog; interrupt the rest (or
        record them dead past `max_recoveries`); the claimed jobs, how many dead and
        interrupted."""
        claim = self.bound(
            takeover.claim_abandoned,
            *(self.instance, kinds, idempotent_kinds, reason, local_kinds, max_recoveries),
        )
        return await self.writer.run(claim, WRITE_DEADLINE)

    async def renew_lease(self, seconds: float, deadline: float = WRITE_DEADLINE) -> None:
        """Tell every process sharing the store that this one is alive; it doubles as a probe.

        A new identity takes its first lease; after that, LeaseLostError when another process
        has found the lease run out and taken this one's jobs over (see `new_identity`).
        """
        instance = self.instance
        if not self._lease_taken:
            host, pid = socket.gethostname(), os.getpid()
            take = self.bound(takeover.take_lease, instance, host, pid, seconds)
            await self.writer.run(take, deadline)
            self._lease_taken = instance == self.instance
            return
        renewed = await self.writer.run(
            self.bound(takeover.renew_lease, instance, seconds), deadline
        )
        if renewed.rowcount != 1 and instance == self.instance:
            raise LeaseLostError(f"the lease of {instance} ran out and its jobs were taken over")

    def new_identity(self) -> None:
        """Come back as a process nobody took anything from: the next renewal takes a lease."""
        self.instance = instance_id()
        self._lease_taken = False

    async def release_lease(self) -> None:
        await self.writer.run(self.bound(takeover.release_lease, self.instance), WRITE_DEADLINE)

    # Reads

    async def get(self, job_id: str) -> JobRecord | None:
        return await self.readers.run(self.bound(queries.select_job, job_id))

    async def recent(
        self,
        status: JobStatus | None = None,
        limit: int = 50,
        before: str | None = None,
        kind: str | None = None,
    ) -> list[Job]:
        return await self.readers.run(self.bound(queries.select_jobs, status, limit, before, kind))

    async def version(self) -> str:
        """A value that changes whenever any process changes a job (queries.select_version).

        Polls that arrive while it is being read share that read: however many dashboards
        poll, at most one such query per process runs at a time. A poll that joins a read
        already under way may miss a change committed meanwhile: its next poll sees it.
        """
        if self._version is None or self._version.done():
            self._version = asyncio.ensure_future(
                self.readers.run(self.bound(queries.select_version))
            )
        # Shielded: a poll whose client went away does not cancel the others' read.
        return await asyncio.shield(self._version)

    async def read(self, query: Callable[[Connection], T]) -> T:
        """Run `query` on a reader thread: for a feature that keeps a table of its own."""
        return await self.readers.run(query)
