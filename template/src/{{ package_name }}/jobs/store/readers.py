"""The jobs store's reads: a few threads of their own, each with its own connection, so reads
never queue behind the writes (record_writer.py)."""

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from .database import Connection, Database
from .errors import JobStoreUnavailableError, describe

T = TypeVar("T")

THREADS = 4


class Readers:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._threads = ThreadPoolExecutor(THREADS, thread_name_prefix="job-store-read")
        self._local = threading.local()
        self._readers: list[Connection] = []
        self._readers_lock = threading.Lock()

    def close(self) -> None:
        self._threads.shutdown(wait=True)
        for connection in self._readers:
            self.database.close(connection)
        self._readers.clear()

    async def run(self, query: Callable[[Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, self._read_here, query)

    def _read_here(self, query: Callable[[Connection], T]) -> T:
        """On a reader thread, with that thread's own connection."""
        try:
            connection = self._reader()
            return query(connection)
        except Exception as error:
            if not self.database.is_unavailable(error):
                raise
            self._local.connection = None
            raise JobStoreUnavailableError(f"{self.database.name}: {describe(error)}") from error

    def _reader(self) -> Connection:
        """This thread's connection, opened or re-opened as needed; any failure: unavailable."""
        try:
            connection = getattr(self._local, "connection", None)
            if connection is None:
                connection = self._local.connection = self._new_reader()
            current = self.database.ensure_current(connection)
        except Exception as error:
            self._local.connection = None
            raise JobStoreUnavailableError(f"{self.database.name}: {describe(error)}") from error
        if current is not connection:  # re-opened: closed at close() like the first one
            self._track(current)
        self._local.connection = current
        return current

    def _new_reader(self) -> Connection:
        connection = self.database.connect_reader()
        self._track(connection)
        return connection

    def _track(self, connection: Connection) -> None:
        with self._readers_lock:
            self._readers.append(connection)
