"""Job records in SQLite, written by one thread that commits many writes at once.

Every write is queued to a single database thread. The thread takes whatever has
queued up since its last commit and commits it in one transaction (group commit),
so a burst of requests costs a few commits rather than one each, and the event
loop never waits on disk. Both hand-overs are batched: what the event loop submits
in one turn reaches the thread as one item, and the waiters of a whole batch are
woken by one callback on the loop, not one each.
"""

import asyncio
import contextlib
import json
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .models import UNFINISHED, JobRecord, JobStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    result TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status_created ON jobs (status, created_at);
"""
SELECT_JOBS = (
    "SELECT id, kind, status, attempts, error, result, created_at, started_at, finished_at"
    " FROM jobs"
)
MAX_BATCH = 500

Operation = Callable[[sqlite3.Connection], Any]
Pending = tuple[Operation, "asyncio.Future[Any] | None"]
Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]

logger = logging.getLogger(__name__)


class JobStoreClosedError(RuntimeError):
    """A write came after the store closed (a job still unwinding at process exit)."""


def now() -> datetime:
    return datetime.now(UTC)


def connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=5000")
    return connection


def row_to_job(row: Sequence[Any]) -> JobRecord:
    id_, kind, status, attempts, error, result, created, started, finished = row
    return JobRecord(
        id=id_,
        kind=kind,
        status=JobStatus(status),
        attempts=attempts,
        error=error,
        result=json.loads(result) if result else None,
        created_at=datetime.fromisoformat(created),
        started_at=datetime.fromisoformat(started) if started else None,
        finished_at=datetime.fromisoformat(finished) if finished else None,
    )


def select_job(connection: sqlite3.Connection, job_id: str) -> JobRecord | None:
    row = connection.execute(SELECT_JOBS + " WHERE id = ?", (job_id,)).fetchone()
    return row_to_job(row) if row else None


def select_jobs(
    connection: sqlite3.Connection, status: JobStatus | None, limit: int
) -> list[JobRecord]:
    if status is None:
        rows = connection.execute(SELECT_JOBS + " ORDER BY created_at DESC LIMIT ?", (limit,))
    else:
        rows = connection.execute(
            SELECT_JOBS + " WHERE status = ? ORDER BY created_at DESC LIMIT ?",
            (status.value, limit),
        )
    return [row_to_job(row) for row in rows]


def mark_interrupted(
    connection: sqlite3.Connection, reason: str, job_ids: Sequence[str] | None = None
) -> int:
    """Record unfinished jobs (all of them, or those named) as interrupted."""
    unfinished = tuple(status.value for status in UNFINISHED)
    sql = "UPDATE jobs SET status = ?, error = ?, finished_at = ? WHERE status IN (?, ?)"
    params: list[Any] = [JobStatus.INTERRUPTED.value, reason, now().isoformat(), *unfinished]
    if job_ids is not None:
        sql += f" AND id IN ({', '.join('?' for _ in job_ids)})"
        params.extend(job_ids)
    return connection.execute(sql, params).rowcount


class JobStore:
    """Asynchronous access to the jobs table through one database thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._operations: queue.SimpleQueue[list[Pending] | None] = queue.SimpleQueue()
        self._submitted: list[Pending] = []
        self._closed = False
        self._thread: threading.Thread | None = None

    async def open(self) -> int:
        """Create the table if needed; return how many jobs a dead process left unfinished."""
        connection = await asyncio.to_thread(self._connect)
        self._thread = threading.Thread(
            target=self._serve, args=(connection,), name="job-store", daemon=True
        )
        self._thread.start()
        return int(
            await self.run(
                lambda connection: mark_interrupted(
                    connection, "the service stopped before the job finished"
                )
            )
        )

    async def close(self) -> None:
        if self._thread is not None:
            self._closed = True
            self._hand_over()
            self._operations.put(None)
            await asyncio.to_thread(self._thread.join)
            self._thread = None

    def submit(self, operation: Operation) -> "asyncio.Future[Any]":
        """Queue an operation; the returned future resolves once it is committed."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue((operation, future))
        return future

    def submit_nowait(self, operation: Operation) -> None:
        """Queue a write nobody waits for; it is committed in order with the others."""
        self._queue((operation, None))

    def _queue(self, pending: Pending) -> None:
        if self._closed:  # nothing would ever commit it: fail now rather than wait forever
            future = pending[1]
            if future is not None:
                future.set_exception(JobStoreClosedError("the job store is closed"))
            return
        # Wake the database thread once per turn of the event loop, not once per write.
        if not self._submitted:
            asyncio.get_running_loop().call_soon(self._hand_over)
        self._submitted.append(pending)

    def _hand_over(self) -> None:
        if self._submitted:
            self._operations.put(self._submitted)
            self._submitted = []

    async def run(self, operation: Operation) -> Any:
        return await self.submit(operation)

    async def add(self, job_id: str, kind: str) -> None:
        created = now().isoformat()
        await self.run(
            lambda connection: connection.execute(
                "INSERT INTO jobs (id, kind, status, created_at) VALUES (?, ?, ?, ?)",
                (job_id, kind, JobStatus.QUEUED.value, created),
            )
        )

    def started(self, job_id: str, attempt: int) -> None:
        started = now().isoformat()
        self.submit_nowait(
            lambda connection: connection.execute(
                "UPDATE jobs SET status = ?, attempts = ?, "
                "started_at = COALESCE(started_at, ?) WHERE id = ?",
                (JobStatus.RUNNING.value, attempt, started, job_id),
            )
        )

    async def finished(
        self,
        job_id: str,
        status: JobStatus,
        *,
        error: str | None = None,
        result: dict[str, Any] | None = None,
    ) -> None:
        finished = now().isoformat()
        encoded = json.dumps(result) if result is not None else None
        await self.run(
            lambda connection: connection.execute(
                "UPDATE jobs SET status = ?, error = ?, result = ?, finished_at = ? WHERE id = ?",
                (status.value, error, encoded, finished, job_id),
            )
        )

    async def interrupt(self, job_ids: Sequence[str], reason: str) -> int:
        return int(await self.run(lambda connection: mark_interrupted(connection, reason, job_ids)))

    async def get(self, job_id: str) -> JobRecord | None:
        job: JobRecord | None = await self.run(lambda connection: select_job(connection, job_id))
        return job

    async def recent(self, status: JobStatus | None = None, limit: int = 50) -> list[JobRecord]:
        jobs: list[JobRecord] = await self.run(
            lambda connection: select_jobs(connection, status, limit)
        )
        return jobs

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = connect(self.path)
        connection.executescript(SCHEMA)
        return connection

    def _serve(self, connection: sqlite3.Connection) -> None:
        try:
            while (first := self._operations.get()) is not None:
                batch = list(first)
                stop = False
                while len(batch) < MAX_BATCH:
                    try:
                        item = self._operations.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        stop = True
                        break
                    batch.extend(item)
                self._commit(connection, batch)
                if stop:
                    break
        finally:
            connection.close()

    @staticmethod
    def _commit(connection: sqlite3.Connection, batch: list[Pending]) -> None:
        outcomes: list[tuple[asyncio.Future[Any] | None, Any, BaseException | None]] = []
        connection.execute("BEGIN IMMEDIATE")
        for operation, future in batch:
            try:
                outcomes.append((future, operation(connection), None))
            except Exception as failure:  # one bad write must not lose the others
                outcomes.append((future, None, failure))
        try:
            connection.execute("COMMIT")
        except sqlite3.Error as failure:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            outcomes = [(future, None, failure) for future, _, _ in outcomes]
        waited: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
        for future, value, error in outcomes:
            if future is not None:
                waited.setdefault(future.get_loop(), []).append((future, value, error))
            elif error is not None:
                logger.error("job store write failed: %s", error)
        for loop, settled in waited.items():
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is left waiting
                loop.call_soon_threadsafe(settle, settled)


def settle(outcomes: list[Outcome]) -> None:
    """On the event loop: hand each waiter its committed result or error."""
    for future, value, error in outcomes:
        if future.done():  # its waiter was cancelled
            continue
        if error is None:
            future.set_result(value)
        else:
            future.set_exception(error)
