"""Runs each schedule once per due time, whichever of the processes sharing the store gets there.

Every process ticks once a second. At each tick, a schedule's latest due time is claimed
in the jobs store (one insert keyed by schedule and due time: the first process wins, the
others learn it); the winner records a job of the schedule's kind and runs it, tracked and
drained like any other job.

Missed runs: only the latest due time is ever claimed. A service that was down across
several due times runs the schedule once when it is back, not once per missed time. A
schedule new to the store starts counting from its current due time, without a run.
"""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import FastAPI

from ..jobs.errors import JobStoreUnavailableError
from ..jobs.queries import now
from ..jobs.runner import JobResult, JobRunner
from .timing import Timing

logger = logging.getLogger(__name__)

TICK = 1.0

Task = Callable[[FastAPI], Awaitable[JobResult]]


@dataclass(frozen=True)
class Schedule:
    name: str
    """Also the kind of the jobs it records."""
    timing: Timing
    task: Task


class Scheduler:
    def __init__(self, app: FastAPI, schedules: list[Schedule]) -> None:
        self.app = app
        self.schedules = schedules
        self._handled: dict[str, datetime] = {}
        """Per schedule, the latest due time this process has claimed or seen claimed."""

    async def tick(self) -> list[str]:
        """Claim and start whatever is due; return the job ids started here."""
        runner: JobRunner = self.app.state.jobs
        started = []
        moment = now()
        for schedule in self.schedules:
            due = schedule.timing.latest_due(moment)
            if self._handled.get(schedule.name) == due:
                continue
            job_id = uuid.uuid4().hex
            if await runner.store.claim_schedule_run(schedule.name, due, job_id):
                runner.start(job_id, schedule.name, self._bind(schedule))
                started.append(job_id)
                logger.info("schedule %s: due %s, job %s", schedule.name, due, job_id)
            self._handled[schedule.name] = due
        return started

    def _bind(self, schedule: Schedule) -> Callable[[], Awaitable[JobResult]]:
        async def work() -> JobResult:
            return await schedule.task(self.app)

        return work

    async def run_forever(self) -> None:
        while True:
            try:
                await self.tick()
            except JobStoreUnavailableError as error:
                logger.warning("schedules not checked this time: %s", error)
            await asyncio.sleep(TICK)
