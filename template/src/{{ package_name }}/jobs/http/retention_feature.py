"""The service's own prune while it runs, for a service without schedules (runtime/retention.py)."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ...feature import Feature
from ..runtime.background import in_background
from ..runtime.retention import prune
from ..runtime.runner import JobRunner
from ..store.errors import JobStoreUnavailableError

logger = logging.getLogger(__name__)

INTERVAL = 300.0
"""Seconds between prunes while the service runs."""


async def keep_pruning(app: FastAPI, older_than_days: float) -> None:
    """Prune now, then every INTERVAL seconds, in every process (deletes are idempotent)."""
    runner: JobRunner = app.state.jobs
    while True:
        try:
            deleted = await prune(runner.store.writer, older_than_days, app.state.prune_tables)
            if deleted:
                logger.info("pruned %d job record(s) older than %g days", deleted, older_than_days)
        except JobStoreUnavailableError as error:
            logger.warning("pruning job records failed, trying again later: %s", error)
        await asyncio.sleep(INTERVAL)


@asynccontextmanager
async def pruning(app: FastAPI) -> AsyncIterator[None]:
    days: float = app.state.settings.jobs_retention_days
    if days == 0:
        yield
        return
    async with in_background(keep_pruning(app, days)):
        yield


feature = Feature(name="job_retention", resources=pruning)
"""For a service without schedules: prunes while it runs, every few minutes."""
