"""Bounded: finished job records older than JOBS_RETENTION_DAYS are deleted in small batches.

The one prune: the service runs it (this module's feature, or the `prune_jobs` schedule) and so
does `jobs prune` (maintenance.py). Each batch also deletes the rows as old of the features'
own tables (Feature.prune_tables), in the same transaction. An age of 0 keeps everything.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from fastapi import FastAPI

from ..feature import Feature, PruneTable
from .database import Connection
from .errors import JobStoreUnavailableError
from .feature import in_background
from .queries import delete_finished_before, now
from .runner import JobRunner
from .store import WRITE_DEADLINE
from .writer import Writer

logger = logging.getLogger(__name__)

BATCH = 200
"""Records per transaction. A batch holds the database thread, and the requests' inserts
queued behind it, for as long as it deletes: small enough that requests wait little while a
large backlog is pruned, large enough to keep pace (measured: the template's bench/notes.md)."""
PAUSE = 0.05
"""Seconds between batches, in which the requests' writes go first."""
INTERVAL = 300.0
"""Seconds between prunes while the service runs."""


async def prune(writer: Writer, older_than_days: float, tables: Sequence[PruneTable]) -> int:
    """Delete every finished job record older than the given age, and the tables' rows as old;
    return how many job records. 0 days keeps every record (as JOBS_RETENTION_DAYS=0 does)."""
    if older_than_days == 0:
        return 0
    return await prune_before(writer, now() - timedelta(days=older_than_days), tables)


async def prune_before(writer: Writer, cutoff: datetime, tables: Sequence[PruneTable]) -> int:
    db = writer.database

    def delete_batch(connection: Connection) -> int:
        for prune_table in tables:
            prune_table(db, connection, cutoff)
        return delete_finished_before(db, connection, cutoff, BATCH)

    deleted = 0
    while True:
        count: int = await writer.run(delete_batch, WRITE_DEADLINE)
        deleted += count
        if count < BATCH:
            return deleted
        await asyncio.sleep(PAUSE)


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
