"""The jobs store from the command line: read it, prune it, migrate it (no service needed)."""

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import timedelta

from . import queries
from .database import Connection, Database
from .errors import JobStoreUnavailableError, describe
from .models import new_job_id
from .rerun import new_attempt, retried_already
from .schema import SchemaChange

PRUNE_BATCH = 500


@contextmanager
def unavailable_as_error(database: Database) -> Iterator[None]:
    """Any fault of the store as one JobStoreUnavailableError that names the setting."""
    try:
        yield
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


def prune(database: Database, older_than_days: float) -> int:
    """Delete finished records older than the given age, a batch per transaction."""
    cutoff = queries.now() - timedelta(days=older_than_days)
    deleted = 0
    with unavailable_as_error(database):
        connection = database.connect()
        try:
            while True:
                with database.transaction(connection):
                    count = queries.delete_finished_before(
                        database, connection, cutoff, PRUNE_BATCH
                    )
                deleted += count
                if count < PRUNE_BATCH:
                    return deleted
        finally:
            database.close(connection)


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
