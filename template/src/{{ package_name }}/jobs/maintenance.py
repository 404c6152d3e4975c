"""The jobs store from the command line: read it, prune it, migrate it (no service needed)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from . import queries
from .database import Connection, Database
from .errors import JobStoreUnavailableError, describe

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


def upgrade(database: Database) -> None:
    with unavailable_as_error(database):
        database.upgrade()


def prune(database: Database, older_than_days: float) -> int:
    """Delete finished records older than the given age, a batch per transaction."""
    cutoff = queries.now() - timedelta(days=older_than_days)
    deleted = 0
    with unavailable_as_error(database):
        connection = database.connect()
        try:
            while True:
                database.begin(connection)
                count = queries.delete_finished_before(database, connection, cutoff, PRUNE_BATCH)
                database.commit(connection)
                deleted += count
                if count < PRUNE_BATCH:
                    return deleted
        finally:
            database.close(connection)
