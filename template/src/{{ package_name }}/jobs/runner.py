"""Runs every background job: recorded, retried, isolated from its neighbours, drained."""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import BackgroundTasks

from .errors import JobStoreClosedError, JobStoreUnavailableError, describe
from .models import JobStatus
from .retry import NO_RETRY, RetryPolicy
from .store import JobStore

logger = logging.getLogger(__name__)

JobResult = dict[str, Any] | None
Work = Callable[[], Awaitable[JobResult]]

INTERRUPTED_REASON = "the service shut down before the job finished"


def cancelled_earlier() -> bool:
    """Whether this task was cancelled by a job before this one (a shutdown cut it off)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class JobRunner:
    """Schedules jobs on a response's BackgroundTasks and keeps their records true.

    A job is recorded `queued` before the endpoint answers (or the endpoint answers 503).
    Its work runs after the response, at most `max_concurrency` jobs at once, and is
    recorded `running` when it starts. Every failure is caught, logged with the job's
    id and kind, and recorded, so it never stops the next job of the same response.
    Transient failures are retried with backoff. On shutdown, whatever has not
    finished is recorded `interrupted`, never left looking alive.
    """

    def __init__(self, store: JobStore, max_concurrency: int = 100) -> None:
        self.store = store
        self._slots = asyncio.Semaphore(max_concurrency)
        self._unfinished: set[str] = set()
        self._all_finished = asyncio.Event()
        self._all_finished.set()
        self._shutting_down = False
        self._started_here: set[asyncio.Task[None]] = set()

    async def schedule(
        self,
        tasks: BackgroundTasks,
        kind: str,
        work: Work,
        retry: RetryPolicy = NO_RETRY,
    ) -> str:
        """Record a job and run `work` after the response; return the job's id."""
        job_id = uuid.uuid4().hex
        await self.store.add(job_id, kind)
        self._track(job_id)
        tasks.add_task(self.run, job_id, kind, work, retry)
        return job_id

    def start(self, job_id: str, kind: str, work: Work) -> None:
        """Run a job recorded elsewhere (a schedule's claim) now, on this event loop.

        Drained at shutdown like every other job; the task is kept referenced until it ends.
        """
        self._track(job_id)
        task = asyncio.create_task(self.run(job_id, kind, work, NO_RETRY))
        self._started_here.add(task)
        task.add_done_callback(self._started_here.discard)

    def _track(self, job_id: str) -> None:
        self._unfinished.add(job_id)
        self._all_finished.clear()

    async def run(self, job_id: str, kind: str, work: Work, retry: RetryPolicy) -> None:
        try:
            if self._shutting_down or cancelled_earlier():
                # Closed: the drain recorded it. Unavailable: the lease sweep will.
                with contextlib.suppress(JobStoreClosedError, JobStoreUnavailableError):
                    await self.store.interrupt([job_id], INTERRUPTED_REASON)
                return
            async with self._slots:
                await self._attempt_until_done(job_id, kind, work, retry)
        except asyncio.CancelledError:
            # uvicorn cancels what still runs once SHUTDOWN_TIMEOUT is up. Recorded here, the
            # cancellation ends quietly: re-raised, it would be logged as "Exception in ASGI
            # application" with a traceback per job. The jobs queued after this one in the
            # same response see the task's pending cancellation and are recorded interrupted
            # without starting; other responses' jobs are not affected.
            logger.warning("job %s (%s) interrupted by shutdown", job_id, kind)
            # Past the drain the store is closed, and the drain has recorded this job already.
            with contextlib.suppress(JobStoreClosedError, JobStoreUnavailableError):
                await asyncio.shield(self.store.interrupt([job_id], INTERRUPTED_REASON))
        finally:
            self._forget(job_id)

    async def _attempt_until_done(
        self, job_id: str, kind: str, work: Work, retry: RetryPolicy
    ) -> None:
        attempt = 0
        while True:
            attempt += 1
            self.store.started(job_id, attempt)
            try:
                result = await work()
            except Exception as error:
                if retry.should_retry(error, attempt):
                    delay = retry.delay(attempt)
                    logger.warning(
                        "job %s (%s) attempt %d failed, retrying in %.1fs: %s",
                        job_id,
                        kind,
                        attempt,
                        delay,
                        describe(error),
                    )
                    await asyncio.sleep(delay)
                    continue
                logger.exception("job %s (%s) failed after %d attempt(s)", job_id, kind, attempt)
                await self.store.finished(job_id, JobStatus.FAILED, error=describe(error))
                return
            await self.store.finished(job_id, JobStatus.SUCCEEDED, result=result)
            return

    def _forget(self, job_id: str) -> None:
        self._unfinished.discard(job_id)
        if not self._unfinished:
            self._all_finished.set()

    async def drain(self, grace: float) -> None:
        """Wait up to `grace` seconds for running jobs, then record the rest interrupted."""
        self._shutting_down = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._all_finished.wait(), timeout=grace)
        if leftover := sorted(self._unfinished):
            try:
                count = await self.store.interrupt(leftover, INTERRUPTED_REASON)
            except JobStoreUnavailableError as error:
                # Their owner's lease ends with this process: a live process records them.
                logger.error("could not record %d unfinished job(s): %s", len(leftover), error)
                return
            logger.warning("recorded %d unfinished job(s) as interrupted at shutdown", count)
