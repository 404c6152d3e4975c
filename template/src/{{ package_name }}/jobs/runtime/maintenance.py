"""The jobs store from the command line: read it, prune it, migrate it (no service needed)."""

import asyncio
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager

from ..store import queries
from ..store.database import Connection, Database, PruneTable
from ..store.errors import JobStoreUnavailableError, describe
from ..store.record_writer import Writer
from ..store.records import new_job_id
from ..store.schema_upgrades import SchemaChange
from . import retention
from .manual_retry import new_attempt, retried_already


@contextmanager
def unavailable_as_error(database: Database) -> Iterator[None]:
    """Any fault of the store as one JobStoreUnavailableError that names the setting."""
    try:
        yield
    except JobStoreUnavailableError:  # the writer's, which names it already
        raise
    except Exception as error:
        raise JobStoreUnavailableError(f"{database.name}: {describe(error)}") from error


@contextmanager
def reading(database: Database) -> Iterator[Connection]:
    with unavailable_as_error(database):
        connection = database.connect_reader()
        try:
            yield connection
        finally:
            database.close(connection)


def upgrade(database: Database) -> SchemaChange:
    with unavailable_as_error(database):
        return database.upgrade()


def prune(database: Database, older_than_days: float, tables: Sequence[PruneTable]) -> int:
    """The service's own prune (retention.prune), on a database thread of its own."""

    async def run() -> int:
        writer = Writer(database)
        writer.start(database.connect())
        try:
            return await retention.prune(writer, older_than_days, tables)
        finally:
            await writer.stop()

    with unavailable_as_error(database):
        return asyncio.run(run())


def retry(
    database: Database, job_id: str, known_kinds: Collection[str], *, confirmed: bool = False
) -> str | None:
    """Record a new attempt at a failed or interrupted job, for a running service to take.

    The new job is queued and owned by no process: the next sweep of any live service
    claims and runs it. Return its id; None for an unknown job; JobNotRetryableError
    (RetryNotConfirmedError for an `uncertain` job without `confirmed`).
    """
    with reading(database) as connection:
        failed = queries.select_job(database, connection, job_id)
    if failed is None:
        return None
    job = new_attempt(failed, known_kinds, new_job_id(), None, confirmed=confirmed)
    with unavailable_as_error(database):
        connection = database.connect()
        try:
            with database.transaction(connection):
                before = queries.insert_job(database, connection, job, None)
        finally:
            database.close(connection)
    if before is not None:
        raise retried_already(job_id, before)
    return job.id
