"""Runs every background job: recorded, retried, isolated from its neighbours, drained."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import BackgroundTasks, FastAPI

from ... import context
from ..store.errors import JobLostError
from ..store.job_store import JobStore
from ..store.queries import now
from ..store.records import Claim, ClaimedJob, NewJob, RecordedBefore, new_job_id
from .attempts import Attempts
from .attempts import logger as attempts_logger
from .backlog import Backlog
from .cancelling import CancelElsewhere, Cancelling, EndWork
from .cancelling import logger as cancelling_logger
from .events import JobEvent, JobObserver
from .idempotency import Idempotency, IdempotencyKeyReusedError
from .kinds import Arguments, JobKind, registry
from .manual_retry import new_attempt, retried_already
from .recovery import Recovery
from .recovery import logger as recovery_logger
from .slots import Slots
from .stopping import Stopping
from .stopping import logger as stopping_logger

logger = logging.getLogger(__name__)
LOGGERS = (
    *(logger.name, attempts_logger.name, stopping_logger.name),
    *(cancelling_logger.name, recovery_logger.name),
)
"""The loggers that tell a job's failure: an error tracker that captures the job skips them."""

NO_ARGUMENTS: Mapping[str, Any] = {}
HandOver = Callable[[NewJob], Awaitable[None]]
"""Records a retry of a job another system runs, and hands it over to that system."""


def cancelled_earlier() -> bool:
    """Whether this task was cancelled by a job before this one (a shutdown cut it off)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class JobRunner(Attempts, Stopping, Cancelling, Recovery):
    """Schedules jobs on a response's BackgroundTasks and keeps their records true.

    A job is recorded `queued`, with its kind and arguments, before the endpoint answers (or
    it answers 503). With a slot of its kind free (slots.py) it runs after the response; else,
    or when due later, it waits in the store (backlog.py), highest priority first. Failures
    are caught, logged and recorded, retried with backoff when transient (attempts.py).
    Jobs come back after a shutdown or a crash (stopping.py, recovery.py); each is fenced by
    its claim, the owner and epoch every write of its record must match (JobLostError once
    another process took it over); they are cancelled on request (cancelling.py).
    """

    def __init__(
        self,
        app: FastAPI,
        store: JobStore,
        kinds: Iterable[JobKind] = (),
        max_concurrency: int = 100,
        limits: Mapping[str, int] | None = None,
        rates: Mapping[str, float] | None = None,
        max_backlog: int = 10_000,
        local_kinds: Iterable[str] = (),
        max_recoveries: int = 3,
    ) -> None:
        self.app = app
        self.store = store
        self.kinds = registry(kinds)
        self.handed_over: dict[str, HandOver] = {}
        """Kinds that another system runs (Celery's workers), each with its HandOver."""
        self.observers: list[JobObserver] = []
        self.slots = Slots(max_concurrency, limits or {}, rates)
        self.backlog = Backlog(store, self.slots, self._run_claimed, max_backlog)
        self.local_kinds = list(local_kinds)  # host-local kinds, kept for their host
        self._slot_count = max_concurrency
        self.max_recoveries = max_recoveries
        self.cancel_elsewhere: dict[str, CancelElsewhere] = {}
        """Kinds that another system runs, each with how to cancel a job there."""
        self.end_work: dict[str, EndWork] = {}
        """Kinds whose work a cancelled task does not end by itself (cancelling.py)."""
        self._cancelling: set[str] = set()
        self._unfinished: dict[str, JobKind] = {}
        self._claims: dict[str, Claim] = {}
        self._running: dict[str, asyncio.Task[Any]] = {}
        """The task each started job runs in, to give it up when the lease is lost."""
        self._past_return: dict[str, int] = {}
        """Jobs of kinds not idempotent that may have done what cannot be undone, with the
        attempt that last passed its point of no return."""
        self._all_finished = asyncio.Event()
        self._all_finished.set()
        self._shutting_down = False
        self._started_here: set[asyncio.Task[None]] = set()

    async def schedule(
        self,
        tasks: BackgroundTasks,
        kind: JobKind,
        arguments: Arguments = NO_ARGUMENTS,
        idempotency: Idempotency | None = None,
        *,
        priority: int | None = None,
        delay: timedelta | None = None,
        run_at: datetime | None = None,
    ) -> str:
        """Record a job and run it after the response, or from the store once a slot of its
        kind frees (`priority`: the kind's own by default, higher first) and once it is due
        (`delay`, or `run_at` timezone-aware); return the job's id. BacklogFullError when the
        kind's backlog is full. With an idempotency key already used for this kind, nothing
        is scheduled: the id of the job the key's first request scheduled is returned
        (IdempotencyKeyReusedError when that request had another body).
        """
        if run_at is not None and run_at.utcoffset() is None:
            raise ValueError("run_at must be timezone-aware")
        # In UTC, as every time in the store: SQLite compares them as text.
        later = now() + delay if delay is not None else run_at and run_at.astimezone(UTC)
        job = NewJob(
            id=new_job_id(),
            kind=kind.name,
            arguments=arguments,
            request_id=context.request_id.get(),
            idempotency_key=idempotency.key if idempotency else None,
            request_fingerprint=idempotency.fingerprint if idempotency else None,
            priority=kind.priority if priority is None else priority,
            run_at=later,
        )
        before = await self._record(tasks, job, kind)
        if before is None:
            return job.id
        assert idempotency is not None
        if before.request_fingerprint != idempotency.fingerprint:
            raise IdempotencyKeyReusedError(idempotency.key)
        return before.id

    async def retry(
        self, tasks: BackgroundTasks, job_id: str, *, confirmed: bool = False
    ) -> str | None:
        """Run a failed or interrupted job again as a new job; its id, or None if unknown.

        JobNotRetryableError when the job is not failed or interrupted (nor `uncertain` and
        `confirmed`), its kind is not one of this service's, or it was retried already. A kind
        another system runs is handed over to it (its HandOver's errors propagate).
        """
        failed = await self.store.get(job_id)
        if failed is None:
            return None
        request_id = context.request_id.get()
        known = [*self.kinds, *self.handed_over]
        job = new_attempt(failed, known, new_job_id(), request_id, confirmed=confirmed)
        if (hand_over := self.handed_over.get(job.kind)) is not None:
            await hand_over(job)
            return job.id
        kind = self.kinds[job.kind]
        job = replace(job, priority=kind.priority)
        if (before := await self._record(tasks, job, kind)) is not None:
            raise retried_already(job_id, before)
        return job.id

    async def _record(
        self, tasks: BackgroundTasks, job: NewJob, kind: JobKind
    ) -> RecordedBefore | None:
        """Record the job, to run at once on a slot taken now (when none of its kind waits
        before it), else from the backlog; what holds its key (or retries its job) if any."""
        name = self.kinds.setdefault(kind.name, kind).name  # its backlog runs a kind scheduled
        at_once = job.run_at is None and not self.backlog.has_due(name) and self.slots.take(name)
        if not at_once:
            self.backlog.make_room(name)
            job = replace(job, run_at=job.run_at or now())
        claim = self.store.claim(None)  # what `add` records as the owner
        recorded = False
        try:
            before = await self.store.add(job)
            recorded = before is None
        finally:
            if at_once and not recorded:
                self._slot_freed(name)
        if before is not None:
            return before
        for observer in self.observers:
            observer.accepted(JobEvent(job.id, kind.name, job.request_id))
        if at_once:
            self._track(job.id, kind, claim)
            tasks.add_task(self.run, job.id, kind, job.arguments, job.request_id)
        else:
            self.backlog.added(kind.name, job.run_at or now())
        return None

    def start(
        self,
        job_id: str,
        kind: JobKind,
        arguments: Arguments = NO_ARGUMENTS,
        request_id: str | None = None,
        attempts_before: int = 0,
        claim: Claim | None = None,
        *,
        slot_taken: bool = False,
    ) -> None:
        """Run a job recorded elsewhere now: one claimed from the backlog (`slot_taken`), or a
        schedule's, on a slot of its kind taken even when none is free (one job a period).

        Drained at shutdown like every other job; the task is kept referenced until it ends.
        """
        if not slot_taken:
            self.slots.take(kind.name, force=True)
        self._track(job_id, kind, self.store.claim(claim))
        self.detach(self.run(job_id, kind, arguments, request_id, attempts_before))

    def detach(self, jobs: Coroutine[Any, Any, None]) -> None:
        """Run accepted jobs in a task of their own, referenced until it ends, cut off first at
        shutdown (a bulk retry's, which has no response to run after)."""
        task = asyncio.create_task(jobs)
        self._started_here.add(task)
        task.add_done_callback(self._started_here.discard)

    def _run_claimed(self, job: ClaimedJob) -> None:
        """Run a job claimed from the backlog, on the slot its claim took."""
        kind, arguments, claim = self.kinds[job.kind], job.arguments, job.claim
        self.start(job.id, kind, arguments, job.request_id, job.attempts, claim, slot_taken=True)

    def _slot_freed(self, kind: str) -> None:
        self.slots.give(kind)
        self.backlog.slot_freed()

    def _track(self, job_id: str, kind: JobKind, claim: Claim) -> None:
        self._unfinished[job_id] = kind
        self._claims[job_id] = claim
        self._all_finished.clear()

    async def run(
        self,
        job_id: str,
        kind: JobKind,
        arguments: Arguments,
        request_id: str | None = None,
        attempts_before: int = 0,
    ) -> None:
        context.job_id.set(job_id)
        context.job_kind.set(kind.name)
        context.request_id.set(request_id)
        job = JobEvent(job_id, kind.name, request_id)
        claim = self._claims.get(job_id) or self.store.claim(None)
        task = asyncio.current_task()
        if task is not None:
            self._running[job_id] = task
        began = time.monotonic()
        try:
            if job_id in self._cancelling:  # cancelled before it started
                return
            if self._shutting_down or cancelled_earlier() or self._given_up(claim):
                await self._give_back(job_id, claim)
                return
            await self._attempt_until_done(job, kind, arguments, attempts_before, claim)
        except JobLostError:
            logger.warning(
                "job %s (%s) was taken over by another process while this one was away:"
                " dropped here before its point of no return",
                *(job_id, kind.name),
            )
        except asyncio.CancelledError:
            if job_id in self._cancelling and task is not None:
                task.uncancel()  # the response's later jobs run on
                await asyncio.shield(self._record_cancelled(job, claim, began))
                return
            # uvicorn cancels what still runs once SHUTDOWN_TIMEOUT is up (and `lease_lost`
            # what it gives up). Recorded here, the cancellation ends quietly: re-raised, it
            # would be logged as "Exception in ASGI application" with a traceback per job.
            # The jobs queued after this one in the same response see the task's pending
            # cancellation and are given back without starting; other responses' jobs are
            # not affected.
            if self._given_up(claim) and not self._shutting_down and task is not None:
                logger.warning(
                    "job %s (%s) given up: this process's lease ran out", job_id, kind.name
                )
                task.uncancel()  # the response's later jobs are given up by their own claims
            else:
                logger.warning("job %s (%s) cut off by shutdown", job_id, kind.name)
            await asyncio.shield(self._give_back(job_id, claim))
        finally:
            self._forget(job_id)
            self._slot_freed(kind.name)

    def _forget(self, job_id: str) -> None:
        self._unfinished.pop(job_id, None)
        self._claims.pop(job_id, None)
        self._running.pop(job_id, None)
        self._past_return.pop(job_id, None)
        self._cancelling.discard(job_id)
        if not self._unfinished:
            self._all_finished.set()
