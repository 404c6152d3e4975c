from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ..feature import Feature
from ..jobs import in_background
from .runs import delete_runs_before
from .scheduler import Scheduler
from .shipped import KINDS, shipped_schedules


@asynccontextmanager
async def run_schedules(app: FastAPI) -> AsyncIterator[None]:
    scheduler = Scheduler(app, shipped_schedules(app.state.settings))
    app.state.scheduler = scheduler
    async with in_background(scheduler.run_forever()):
        yield


feature = Feature(
    name="schedules",
    resources=run_schedules,
    job_kinds=KINDS,
    prune_tables=(delete_runs_before,),
)
