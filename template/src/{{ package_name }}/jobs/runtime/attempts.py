"""One job's attempts: run, retried with backoff, the outcome recorded and told to the observers."""

import asyncio
import logging
import time
from functools import partial

from fastapi import FastAPI

from ..store.errors import OutcomeUnknownError, describe
from ..store.job_store import JobStore
from ..store.records import Claim, JobStatus
from . import progress
from .events import JobEvent, JobObserver
from .kinds import Arguments, JobKind

logger = logging.getLogger(__name__)


class Attempts:
    """The part of the runner that runs a job until it is done (runner.py)."""

    app: FastAPI
    store: JobStore
    observers: list[JobObserver]
    _past_return: dict[str, int]

    async def _attempt_until_done(
        self,
        job: JobEvent,
        kind: JobKind,
        arguments: Arguments,
        attempts_before: int,
        claim: Claim,
    ) -> None:
        retry = kind.retry(self.app)
        began = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            number = attempts_before + attempt
            mark = partial(self._pass_point_of_no_return, job.job_id, number, claim)
            progress.current_mark.set(mark if kind.marks_point_of_no_return else None)
            running = None
            if kind.idempotent:
                # Nobody waits: an idempotent job may run twice.
                running = self.store.started(job.job_id, number, claim)
            elif not kind.marks_point_of_no_return:
                await mark()
            for observer in self.observers:
                observer.started(job, attempt)
            try:
                work = kind.run(self.app, arguments)
                result = await progress.reporting(work, self.store, job.job_id, claim)
            except OutcomeUnknownError as error:
                # Its work may have taken effect: never run again without a person's say-so.
                logger.error("job %s (%s) uncertain: %s", job.job_id, job.kind, error)
                recorded = await self.store.finished(
                    job.job_id,
                    JobStatus.UNCERTAIN,
                    attempts=number,
                    error=str(error),
                    running=running,
                    claim=claim,
                )
                self._tell_finished(job, JobStatus.UNCERTAIN, began, error, recorded)
                return
            except Exception as error:
                if retry.should_retry(error, attempt):
                    delay = retry.delay(attempt)
                    logger.warning(
                        "job %s (%s) attempt %d failed, retrying in %.1fs: %s",
                        *(job.job_id, job.kind, attempt, delay, describe(error)),
                    )
                    for observer in self.observers:
                        observer.retrying(job, attempt, error)
                    if kind.marks_point_of_no_return:  # no `running` write told the attempts
                        self.store.attempted(job.job_id, number, claim)
                    await asyncio.sleep(delay)
                    continue
                logger.exception(
                    "job %s (%s) failed after %d attempt(s)", job.job_id, job.kind, attempt
                )
                recorded = await self.store.finished(
                    job.job_id,
                    JobStatus.FAILED,
                    attempts=number,
                    error=describe(error),
                    running=running,
                    claim=claim,
                )
                self._tell_finished(job, JobStatus.FAILED, began, error, recorded)
                return
            recorded = await self.store.finished(
                job.job_id,
                JobStatus.SUCCEEDED,
                attempts=number,
                result=result,
                running=running,
                claim=claim,
            )
            self._tell_finished(job, JobStatus.SUCCEEDED, began, None, recorded)
            return

    async def _pass_point_of_no_return(self, job_id: str, attempt: int, claim: Claim) -> None:
        """Commit `running` before the job does what cannot be undone (progress.py).

        At every attempt: the commit is also the check that the job is still this
        process's (JobLostError when another one has taken it over since).
        """
        if self._past_return.get(job_id) == attempt:
            return
        await self.store.started_durably(job_id, attempt, claim)
        self._past_return[job_id] = attempt

    def _tell_finished(
        self,
        job: JobEvent,
        status: JobStatus,
        began: float,
        error: Exception | None,
        recorded: bool,
    ) -> None:
        if not recorded:
            logger.warning(
                "job %s (%s) ended %s here, but another process had taken it over meanwhile:"
                " its record is that process's",
                *(job.job_id, job.kind, status.value),
            )
            return
        seconds = time.monotonic() - began
        for observer in self.observers:
            observer.finished(job, status, seconds, error)
