"""What the jobs store needs from a database engine (SQLite or PostgreSQL).

The store and its queries speak through this interface only; the engine module says
how to connect, how transactions begin and end, and which errors mean "unavailable".
Queries are written once, with `?` placeholders; an engine rewrites them if it must.
"""

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from .schema_upgrades import SchemaChange

Connection = Any
"""The engine's own connection object (sqlite3.Connection, psycopg.Connection)."""


class Changes(Protocol):
    """A write's cursor, for how many rows it changed: read it once the write has committed
    (an engine that pipelines a transaction's statements knows the count only then)."""

    @property
    def rowcount(self) -> int: ...


class Database(Protocol):
    name: str
    """The setting that names the store, as operators know it: 'JOBS_DB=var/jobs.sqlite3'."""
    one_host: bool
    """Whether every process sharing the store runs on one host, so sees one disk (SQLite)."""
    takeover_lock: str | None
    """A statement that makes concurrent takeovers wait for each other, where the engine does
    not already (its several UPDATEs would otherwise lock rows in different orders)."""

    def upgrade(self) -> SchemaChange:
        """Bring the schema to the newest version; safe when several processes start at once."""

    def exists(self) -> bool:
        """Whether a service has created the store (a missing SQLite file has not)."""

    def connect(self) -> Connection:
        """A connection for the writer thread."""

    def connect_reader(self) -> Connection:
        """A connection for reads, which never wait behind the writer's transactions."""

    def ensure_current(self, connection: Connection) -> Connection:
        """The connection, or a new one if the store moved under it (a replaced file)."""

    def transaction(self, connection: Connection) -> AbstractContextManager[None]:
        """BEGIN, the block's statements, COMMIT; on an error, `rollback` ends it."""

    def rollback(self, connection: Connection) -> None: ...

    def close(self, connection: Connection) -> None: ...

    def execute(self, connection: Connection, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; return its cursor (rowcount, fetchone, fetchall, iteration)."""

    def minute(self, column: str) -> str:
        """SQL for the UTC minute of timestamp `column`, as text: '2026-01-31T23:59'."""

    def is_unavailable(self, error: BaseException) -> bool:
        """Whether `error` is the database's state (locked, full, gone), not the statement's."""

    def cause(self, error: BaseException) -> str:
        """`error` in a few words that name no file, host, user or database: for clients."""


PruneTable = Callable[[Database, Connection, datetime], object]
"""Deletes the rows of a table of a feature's own that are older than the cutoff
(Feature.prune_tables): run in each prune batch's transaction (runtime/retention.py)."""
