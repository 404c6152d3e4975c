import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ..feature import Feature
from ..settings import CoreSettings
from .router import router
from .runner import JobRunner
from .store import JobStore

logger = logging.getLogger(__name__)

# After uvicorn's graceful timeout cancels the jobs still running, how long their
# cancellation handlers get to record themselves before the rest are recorded here.
CANCELLATION_GRACE = 1.0


@asynccontextmanager
async def job_runner(app: FastAPI) -> AsyncIterator[None]:
    settings: CoreSettings = app.state.settings
    store = JobStore(settings.jobs_db)
    if stale := await store.open():
        logger.warning("recorded %d job(s) left unfinished by a previous run as interrupted", stale)
    app.state.jobs = JobRunner(store)
    try:
        yield
    finally:
        await app.state.jobs.drain(CANCELLATION_GRACE)
        await store.close()


feature = Feature(name="jobs", router=router, resources=job_runner)
