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
from dataclasses import dataclass
from datetime import datetime

from fastapi import FastAPI

from ..jobs import JobKind, JobRunner, JobStoreUnavailableError, NewJob, new_job_id, now
from . import runs
from .timing import Timing

logger = logging.getLogger(__name__)

TICK = 1.0


@dataclass(frozen=True)
class Schedule:
    timing: Timing
    kind: JobKind
    """What it runs; the kind's name is the schedule's name."""

    @property
    def name(self) -> str:
        return self.kind.name


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
            job = NewJob(id=new_job_id(), kind=schedule.name, arguments={})
            if await runs.claim(runner.store, schedule.name, due, job):
                runner.start(job.id, schedule.kind)
                started.append(job.id)
                logger.info("schedule %s: due %s, job %s", schedule.name, due, job.id)
            self._handled[schedule.name] = due
        return started

    async def run_forever(self) -> None:
        while True:
            try:
                await self.tick()
            except JobStoreUnavailableError as error:
                logger.warning("schedules not checked this time: %s", error)
            await asyncio.sleep(TICK)
