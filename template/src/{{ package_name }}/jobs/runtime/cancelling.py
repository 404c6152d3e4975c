"""Cancelling jobs on request, through any process that shares the store.

A queued job is recorded `cancelled` at once, by one statement conditioned on its being
`queued`: it never runs. A running job of an idempotent kind is asked to stop: the request
sets its `cancel_requested_at`, and its owner, which looks for requests on its own jobs every
CANCEL_POLL_SECONDS, cancels the job's task (and ends what the task does not reach, like a
report's process) and records it `cancelled`. One polling loop for every engine: SQLite has
no notifications, and the poll reads a few hundred rows by primary key, only while this
process holds jobs. A running job of a kind that is not idempotent has passed its point of
no return (it is recorded `running` only then, progress.py): it is not cancelled.
"""

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ..store.control_queries import CANCELLED_REASON, cancel_or_ask, cancels_asked, mark_cancelled
from ..store.database import Database
from ..store.errors import JobStoreClosedError, JobStoreUnavailableError
from ..store.job_store import WRITE_DEADLINE, JobStore
from ..store.queries import now, select_job
from ..store.records import CELERY_OWNER, FINISHED, Claim, JobRecord, JobStatus
from .events import JobEvent, JobObserver
from .kinds import JobKind
from .maintenance import reading, unavailable_as_error

logger = logging.getLogger(__name__)

CANCEL_POLL_SECONDS = 0.3
CONFIRM_SECONDS = 1.5
"""How long a cancel request waits for the owner of a running job to confirm it."""
WATCHED_BEYOND_SLOTS = 400
"""Jobs watched for requests, past the running ones: the next to start (the oldest first)."""
CancelElsewhere = Callable[[JobRecord], Awaitable[None]]
"""Cancels a job another system runs (Celery's workers) and records it cancelled."""
EndWork = Callable[[str], None]
"""Ends what a job's task does not reach when it is cancelled (a report's process)."""


class JobNotCancellableError(Exception):
    """The job has finished, or has passed its point of no return (409)."""


def refusal(job: JobRecord, kinds: Mapping[str, JobKind]) -> str | None:
    """Why `job` cannot be cancelled; None when it can."""
    if job.status in FINISHED:
        return f"job {job.id} is {job.status.value}: only a queued or running job is cancelled"
    kind = kinds.get(job.kind)
    if job.status is JobStatus.QUEUED:
        return None
    if kind is None:
        return f"job {job.id} ({job.kind}) runs, and is not of a kind this service runs"
    if not kind.idempotent:
        return f"job {job.id} ({job.kind}) has passed its point of no return: {kind.cannot_undo}"
    return None


class Cancelling:
    """The part of the runner that cancels jobs (runner.py)."""

    store: JobStore
    kinds: dict[str, JobKind]
    observers: list[JobObserver]
    _unfinished: dict[str, JobKind]
    _running: dict[str, asyncio.Task[Any]]
    _past_return: dict[str, int]
    _cancelling: set[str]
    _slot_count: int
    cancel_elsewhere: dict[str, CancelElsewhere]
    end_work: dict[str, EndWork]

    async def cancel(self, job_id: str, wait: float = CONFIRM_SECONDS) -> JobRecord | None:
        """Cancel a job; its record then (None if unknown), `running` while its owner has not
        confirmed within `wait` seconds. JobNotCancellableError when it cannot be."""
        job = await self.store.get(job_id)
        if job is None:
            return None
        elsewhere = self.cancel_elsewhere.get(job.kind)
        if elsewhere is not None and job.owner == CELERY_OWNER and job.status not in FINISHED:
            await elsewhere(job)
            return await self.store.get(job_id)
        if (why := refusal(job, self.kinds)) is not None:
            raise JobNotCancellableError(why)
        store = self.store
        idempotent = [name for name, kind in self.kinds.items() if kind.idempotent]
        asked = store.bound(cancel_or_ask, job_id, idempotent, now())
        if (status := await store.writer.run(asked, WRITE_DEADLINE)) is None:
            job = await store.get(job_id)  # it started past its point of no return, or ended
            assert job is not None
            raise JobNotCancellableError(refusal(job, self.kinds) or f"job {job_id} changed")
        self._end_here(job_id)
        if status == JobStatus.CANCELLED.value:
            return await store.get(job_id)
        deadline = time.monotonic() + wait
        while True:
            job = await store.get(job_id)
            assert job is not None
            if job.status in FINISHED or time.monotonic() >= deadline:
                return job
            await asyncio.sleep(0.05)

    async def watch_cancels(self) -> None:
        """Cancel this process's jobs that a cancel was asked of, through whichever process."""
        while True:
            await asyncio.sleep(CANCEL_POLL_SECONDS)
            if not self._unfinished:
                continue
            # Running jobs come first: a response's jobs are tracked, then started, in order.
            watched = list(
                itertools.islice(self._unfinished, self._slot_count + WATCHED_BEYOND_SLOTS)
            )
            try:
                asked = await self.store.read(self.store.bound(cancels_asked, watched))
            except JobStoreUnavailableError as error:
                logger.warning("could not look for cancel requests: %s", error)
                continue
            for job_id in asked:
                self._end_here(job_id)

    def _end_here(self, job_id: str) -> None:
        """Cancel the job's task if this process holds it, unless past its point of no return."""
        if job_id not in self._unfinished or job_id in self._cancelling:
            return
        if job_id in self._past_return:
            return
        self._cancelling.add(job_id)
        task = self._running.get(job_id)
        if task is None:  # not started: `run` sees it in _cancelling
            return
        if (end := self.end_work.get(self._unfinished[job_id].name)) is not None:
            end(job_id)
        task.cancel()

    async def _record_cancelled(self, job: JobEvent, claim: Claim, began: float) -> None:
        logger.warning("job %s (%s) cancelled on request", job.job_id, job.kind)
        mark = self.store.bound(mark_cancelled, job.job_id, claim, CANCELLED_REASON, now())
        with contextlib.suppress(JobStoreClosedError, JobStoreUnavailableError):
            if await self.store.writer.run(mark, WRITE_DEADLINE):
                seconds = time.monotonic() - began
                for observer in self.observers:
                    observer.finished(job, JobStatus.CANCELLED, seconds, None)


def cancel_offline(
    database: Database, job_id: str, kinds: Mapping[str, JobKind]
) -> JobRecord | None:
    """From the command line, no service needed: a queued job is cancelled at once; a running
    one is asked of its owner, which ends it within a second. Its record then; None if unknown.
    """
    with reading(database) as connection:
        job = select_job(database, connection, job_id)
    if job is None:
        return None
    if job.owner == CELERY_OWNER and job.status not in FINISHED:
        raise JobNotCancellableError(
            f"job {job_id} ({job.kind}) is run by Celery's workers: cancel it through the"
            f" service (POST /jobs/{job_id}/cancel), which revokes its task"
        )
    if (why := refusal(job, kinds)) is not None:
        raise JobNotCancellableError(why)
    idempotent = [name for name, kind in kinds.items() if kind.idempotent]
    with unavailable_as_error(database):
        connection = database.connect()
        try:
            with database.transaction(connection):
                done = cancel_or_ask(database, connection, job_id, idempotent, now())
            job = select_job(database, connection, job_id)
        finally:
            database.close(connection)
    assert job is not None
    if done is None:
        raise JobNotCancellableError(refusal(job, kinds) or f"job {job_id} changed")
    return job
