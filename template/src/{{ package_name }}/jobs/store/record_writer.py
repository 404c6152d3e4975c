"""One database thread that commits many job-record writes at once, and survives any fault.

Every write is queued to the thread. It takes whatever has queued up since its last
commit and commits it in one transaction (group commit), so a burst of requests costs
a few commits rather than one each, and the event loop never waits on the database.
Both hand-overs are batched: what the event loop submits in one turn reaches the
thread as one item, and the waiters of a whole batch are woken by one callback.

A fault (a lock held too long, a full disk, a lost connection) fails the batch, never
the thread: a write somebody waits for fails at once with `JobStoreUnavailableError`
(the request answers 503), and a write nobody waits for (a job's progress and final
record) is kept and tried again, in order, until the database takes it.
"""

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from .database import Connection, Database
from .errors import JobStoreClosedError, JobStoreUnavailableError, describe
from .writes import Operation, Outcome, StatementError, Write, settle

logger = logging.getLogger(__name__)

T = TypeVar("T")
MAX_BATCH = 500
RETRY_DELAYS = (0.1, 0.25, 0.5, 1.0, 2.0)
"""Seconds between attempts at writes that must not be lost, while the database fails."""
CLOSE_FLUSH_SECONDS = 3.0
"""At shutdown, how long the thread keeps trying to write what is left before giving up."""


class Writer:
    """The database thread and the queue that feeds it."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.problem: str | None = None
        """Why the last transaction failed, until one succeeds again."""
        self.failure: BaseException | None = None
        """The database's error behind `problem`."""
        self.on_commit: Callable[[float], None] | None = None
        """Told each committed transaction's seconds, on the database thread; must not raise."""
        self._queue: queue.SimpleQueue[list[Write] | None] = queue.SimpleQueue()
        self._submitted: list[Write] = []
        self._retrying: list[Write] = []
        self._claiming = threading.Lock()
        self._closed = False
        self._thread: threading.Thread | None = None

    def start(self, connection: Connection) -> None:
        self._thread = threading.Thread(
            target=self._serve, args=(connection,), name="job-store", daemon=True
        )
        self._thread.start()

    async def stop(self) -> None:
        if self._thread is not None:
            self._closed = True
            self._hand_over()
            self._queue.put(None)
            await asyncio.to_thread(self._thread.join)
            self._thread = None

    def submit_nowait(self, operation: Operation) -> Write:
        """Queue a write nobody waits for; it commits in order, retried until it does."""
        write = Write(operation, durable=True)
        self._enqueue(write)
        return write

    async def run_durably(self, operation: Callable[[Connection], T]) -> T:
        """Commit `operation`, waiting as long as the database stays unavailable."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._enqueue(Write(operation, future, durable=True))
        result: T = await future
        return result

    async def run(self, operation: Callable[[Connection], T], deadline: float) -> T:
        """Commit `operation`, or fail with JobStoreUnavailableError within `deadline` s."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        write = Write(operation, future)
        self._enqueue(write)
        # A timer, not asyncio.wait_for: no extra future or task on every request's path.
        timer = loop.call_later(deadline, self._expire, write, deadline)
        try:
            result: T = await future
        finally:
            timer.cancel()
        return result

    def _expire(self, write: Write, deadline: float) -> None:
        """The deadline passed: give up on a write no transaction has taken yet.

        One already taken is left to finish: its outcome is moments away, and it is the truth.
        """
        if write.future is None or write.future.done() or not self.withdraw(write):
            return
        message = self.problem or f"{self.database.name}: no commit within {deadline:g} s"
        error = JobStoreUnavailableError(message)
        if self.problem is not None:
            error.__cause__ = self.failure
        write.future.set_exception(error)

    def withdraw(self, write: Write) -> bool:
        """Take back a write no transaction has taken yet; False when one has (it will commit)."""
        with self._claiming:
            if write.claimed:
                return False
            write.withdrawn = True
            return True

    def _enqueue(self, write: Write) -> None:
        if self._closed:  # nothing would ever commit it: fail now rather than wait forever
            if write.future is not None:
                write.future.set_exception(JobStoreClosedError("the job store is closed"))
            return
        # Wake the database thread once per turn of the event loop, not once per write.
        if not self._submitted:
            asyncio.get_running_loop().call_soon(self._hand_over)
        self._submitted.append(write)

    def _hand_over(self) -> None:
        if self._submitted:
            self._queue.put(self._submitted)
            self._submitted = []

    def _serve(self, connection: Connection | None) -> None:
        stopping_since: float | None = None
        failures = 0
        try:
            while True:
                batch, stop = self._next_batch(failures)
                if stop and stopping_since is None:
                    stopping_since = time.monotonic()
                if batch:
                    connection = self._commit(connection, batch)
                    failures = failures + 1 if self._retrying else 0
                if stopping_since is not None and (
                    not self._retrying or time.monotonic() - stopping_since > CLOSE_FLUSH_SECONDS
                ):
                    break
        finally:
            if self._retrying:
                logger.error(
                    "%d job record write(s) could not be saved before shutdown: %s",
                    len(self._retrying),
                    self.problem,
                )
                closed = JobStoreClosedError(f"the job store closed first: {self.problem}")
                self._settle([(write, None, closed) for write in self._retrying])
            if connection is not None:
                with contextlib.suppress(Exception):
                    self.database.close(connection)

    def _next_batch(self, failures: int) -> tuple[list[Write], bool]:
        """The writes to try next: those kept from a failed attempt first, in order."""
        batch, self._retrying = self._retrying, []
        try:
            if batch:
                delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS)) - 1]
                first = self._queue.get(timeout=delay)
            else:
                first = self._queue.get()
        except queue.Empty:
            return batch, self._closed
        if first is None:
            return batch, True
        batch.extend(first)
        while len(batch) < MAX_BATCH:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.extend(item)
        return batch, False

    def _claim(self, batch: list[Write]) -> list[Write]:
        with self._claiming:
            taken = [write for write in batch if not write.withdrawn]
            for write in taken:
                write.claimed = True
        return taken

    def _commit(self, connection: Connection | None, batch: list[Write]) -> Connection | None:
        """Commit `batch` in one transaction; return the connection to use next."""
        batch = self._claim(batch)
        database = self.database
        try:
            if connection is None:
                connection = database.connect()
            connection = database.ensure_current(connection)
            started = time.perf_counter()
            outcomes = self._transact(connection, batch)
            seconds = time.perf_counter() - started
        except StatementError as bad:
            connection = self._roll_back(connection)
            if connection is None or len(batch) == 1:
                self._settle([(write, None, bad.__cause__) for write in batch])
                return connection
            # One bad write (its own fault, not the database's) must not lose the others.
            for write in batch:
                connection = self._commit(connection, [write])
            return connection
        except Exception as failure:  # connecting, beginning, committing: the database's state
            connection = self._roll_back(connection)
            self._unavailable(failure, batch)
            return connection
        if self.problem is not None:
            logger.warning("the job store is writable again")
            self.problem = None
        if self.on_commit is not None:
            self.on_commit(seconds)
        self._settle(outcomes)
        return connection

    def _transact(
        self, connection: Connection, batch: list[Write]
    ) -> list[tuple[Write, Any, BaseException | None]]:
        try:
            with self.database.transaction(connection):
                return [(write, self._apply(write, connection), None) for write in batch]
        except StatementError:
            raise
        except Exception as error:
            # PostgreSQL sends the batch in a pipeline: a statement's own fault may only be
            # reported when the answers arrive, at COMMIT. It is still that write's fault.
            if self.database.is_unavailable(error):
                raise
            raise StatementError from error

    def _apply(self, write: Write, connection: Connection) -> Any:
        try:
            return write.operation(connection)
        except Exception as error:
            if self.database.is_unavailable(error):  # locked, full, gone: not this write's fault
                raise
            raise StatementError from error

    def _roll_back(self, connection: Connection | None) -> Connection | None:
        if connection is not None:
            try:
                self.database.rollback(connection)
            except Exception:  # the connection itself is gone: start afresh next time
                with contextlib.suppress(Exception):
                    self.database.close(connection)
                connection = None
        return connection

    def _unavailable(self, failure: BaseException, batch: list[Write]) -> None:
        """Waited writes fail now (their requests answer 503); durable ones are kept."""
        problem = f"{self.database.name}: {describe(failure)}"
        if problem != self.problem:
            logger.error("job store write failed (new jobs answer 503 until then): %s", problem)
        self.problem, self.failure = problem, failure
        error = JobStoreUnavailableError(problem)
        error.__cause__ = failure  # what a client is told comes from it (errors.public_message)
        outcomes: list[tuple[Write, Any, BaseException | None]] = []
        for write in batch:
            if write.durable:
                write.claimed = False
                self._retrying.append(write)
            else:
                outcomes.append((write, None, error))
        self._settle(outcomes)

    @staticmethod
    def _settle(outcomes: list[tuple[Write, Any, BaseException | None]]) -> None:
        waited: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
        for write, value, error in outcomes:
            if write.future is not None:
                waited.setdefault(write.future.get_loop(), []).append((write.future, value, error))
            elif error is not None and not isinstance(error, JobStoreClosedError):
                logger.error("job store write failed: %s", describe(error))
        for loop, settled in waited.items():
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is left waiting
                loop.call_soon_threadsafe(settle, settled)
