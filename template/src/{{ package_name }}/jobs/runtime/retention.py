"""Bounded: finished job records older than JOBS_RETENTION_DAYS are deleted in small batches.

The one prune: the service runs it (http/retention_feature.py, or the `prune_jobs` schedule) and
so does `jobs prune` (maintenance.py). Each batch also deletes the rows as old of the features'
own tables (Feature.prune_tables), in the same transaction. An age of 0 keeps everything.
"""

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

from ..store.database import Connection, PruneTable
from ..store.job_store import WRITE_DEADLINE
from ..store.queries import delete_finished_before, now
from ..store.record_writer import Writer

BATCH = 200
"""Records per transaction. A batch holds the database thread, and the requests' inserts
queued behind it, for as long as it deletes: small enough that requests wait little while a
large backlog is pruned, large enough to keep pace (measured: the template's bench/notes.md)."""
PAUSE = 0.05
"""Seconds between batches, in which the requests' writes go first."""


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
