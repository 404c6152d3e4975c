"""Every statement the service runs on the jobs store, written once for every engine."""

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from .database import Changes, Connection, Database
from .records import (
    FINISHED,
    UNFINISHED,
    Claim,
    Job,
    JobRecord,
    JobStatus,
    NewJob,
    RecordedBefore,
)

JOB_FIELDS = (
    *("id", "kind", "status", "attempts", "error", "created_at", "started_at", "finished_at"),
    *("owner", "request_id", "retry_of", "priority", "run_at", "progress_done", "progress_total"),
    *("recoveries", "cancel_requested_at"),
)
"""What a list shows of a job: never its arguments or result, which may be megabytes each."""
JOB_COLUMNS = ", ".join(JOB_FIELDS)
TIMES = ("created_at", "started_at", "finished_at", "run_at", "cancel_requested_at")
COLUMNS = f"{JOB_COLUMNS}, result, arguments"
SELECT_JOBS = f"SELECT {JOB_COLUMNS} FROM jobs"  # noqa: S608 -- constant column list
SELECT_RECORDS = f"SELECT {COLUMNS} FROM jobs"  # noqa: S608 -- constant column list
NEWEST_FIRST = " ORDER BY created_at DESC, id DESC LIMIT ?"
# Jobs created before the cursor job (row values: the (created_at, id) index serves both).
BEFORE = "(created_at, id) < (SELECT created_at, id FROM jobs WHERE id = ?)"
# See select_version: two ends of two indexes, and a few sums over the unfinished jobs.
VERSION = (
    "SELECT (SELECT max(created_at) FROM jobs), (SELECT max(finished_at) FROM jobs),"
    " (SELECT min(finished_at) FROM jobs), count(*), count(owner), sum(attempts), sum(epoch),"
    " max(started_at), sum(CASE WHEN status = ? THEN 1 ELSE 0 END), sum(progress_done),"
    " count(cancel_requested_at) FROM jobs WHERE status IN (?, ?)"
)


def now() -> datetime:
    return datetime.now(UTC)


def as_datetime(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def row_to_job(row: Sequence[Any]) -> Job:
    """A row of SELECT_JOBS."""
    fields = dict(zip(JOB_FIELDS, row, strict=True))
    for name in TIMES:
        fields[name] = as_datetime(fields[name])
    return Job(**fields)


def row_to_record(row: Sequence[Any]) -> JobRecord:
    """A row of SELECT_RECORDS: the job, its result and its arguments."""
    *job, result, arguments = row
    return JobRecord(
        **row_to_job(job).model_dump(),
        result=json.loads(result) if result else None,
        arguments=json.loads(arguments) if arguments is not None else None,
    )


def to_json(value: Any) -> str:
    """JSON as stored: UTF-8 text (no \\uXXXX escapes, a third of the size for emoji)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def placeholders(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


INSERT_JOB = (
    "INSERT INTO jobs (id, kind, status, attempts, created_at, owner, arguments, request_id,"
    " idempotency_key, request_fingerprint, retry_of, priority, run_at)"
    " VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def insert_job(
    db: Database, connection: Connection, job: NewJob, owner: str | None
) -> RecordedBefore | None:
    """Record `job` queued; or, when its idempotency key or its retried job is taken, say by whom.

    The unique indexes decide, so two processes given the same key at once record one job.
    """
    params = (
        *(job.id, job.kind, JobStatus.QUEUED.value, now(), owner, to_json(job.arguments)),
        *(job.request_id, job.idempotency_key, job.request_fingerprint, job.retry_of),
        *(job.priority, job.run_at),
    )
    if job.idempotency_key is None and job.retry_of is None:
        db.execute(connection, INSERT_JOB, params)
        return None
    if db.execute(connection, INSERT_JOB + " ON CONFLICT DO NOTHING", params).rowcount == 1:
        return None
    if job.idempotency_key is not None:
        row = db.execute(
            connection,
            "SELECT id, request_fingerprint FROM jobs WHERE idempotency_key = ? AND kind = ?",
            (job.idempotency_key, job.kind),
        ).fetchone()
    else:
        row = db.execute(
            connection, "SELECT id, NULL FROM jobs WHERE retry_of = ?", (job.retry_of,)
        ).fetchone()
    return RecordedBefore(id=row[0], request_fingerprint=row[1])


# The writer still owns the job: every change to a job's record is conditioned on it.
OWNED = "id = ? AND owner = ? AND epoch = ?"
UNFINISHED_VALUES = tuple(status.value for status in UNFINISHED)
STILL_UNFINISHED = f"status IN ({', '.join('?' for _ in UNFINISHED)})"


def mark_started(
    db: Database, connection: Connection, job_id: str, claim: Claim, attempt: int, at: datetime
) -> Changes:
    """Record the job `running`; no row changed when its writer no longer owns it (or it has
    ended)."""
    changes: Changes = db.execute(
        connection,
        "UPDATE jobs SET status = ?, attempts = ?,"  # noqa: S608 -- constants, `?`s for values
        f" started_at = COALESCE(started_at, ?) WHERE {OWNED} AND {STILL_UNFINISHED}",
        (
            JobStatus.RUNNING.value,
            attempt,
            at,
            job_id,
            claim.owner,
            claim.epoch,
            *UNFINISHED_VALUES,
        ),
    )
    return changes


def mark_attempts(
    db: Database, connection: Connection, job_id: str, claim: Claim, attempt: int
) -> None:
    db.execute(
        connection,
        f"UPDATE jobs SET attempts = ? WHERE {OWNED} AND {STILL_UNFINISHED}",  # noqa: S608
        (attempt, job_id, claim.owner, claim.epoch, *UNFINISHED_VALUES),
    )


def mark_finished(
    db: Database,
    connection: Connection,
    job_id: str,
    claim: Claim,
    status: JobStatus,
    attempts: int | None,
    error: str | None,
    result: dict[str, Any] | None,
    at: datetime,
    started_at: datetime | None = None,
) -> Changes:
    """The outcome; `started_at` when the job's `running` record was never written.

    Whatever the record says meanwhile: a former owner whose job was recorded interrupted
    while it was away, and that no other process took over, records what really happened.
    No row changed when another process took the job over: its record is that one's.
    """
    encoded = to_json(result) if result is not None else None
    changes: Changes = db.execute(
        connection,
        "UPDATE jobs SET status = ?, attempts = COALESCE(?, attempts),"  # noqa: S608 -- `?`s
        " error = ?, result = ?, started_at = COALESCE(started_at, ?), finished_at = ?"
        f" WHERE {OWNED}",
        (status.value, attempts, error, encoded, started_at, at, job_id, claim.owner, claim.epoch),
    )
    return changes


def update_unfinished(
    db: Database, connection: Connection, claims: Mapping[str, Claim], changes: dict[str, Any]
) -> int:
    """Apply `changes` (column: value) to the named jobs still unfinished and still owned as
    claimed; return how many."""
    assignments = ", ".join(f"{column} = ?" for column in changes)
    statement = (
        f"UPDATE jobs SET {assignments}"  # noqa: S608 -- our own column names, `?`s for values
        f" WHERE {OWNED} AND {STILL_UNFINISHED}"
    )
    updated = 0
    for job_id, claim in claims.items():
        params = (*changes.values(), job_id, claim.owner, claim.epoch, *UNFINISHED_VALUES)
        updated += db.execute(connection, statement, params).rowcount
    return updated


def mark_interrupted(
    db: Database, connection: Connection, claims: Mapping[str, Claim], reason: str
) -> int:
    """Record the named jobs interrupted, those still unfinished and still owned as claimed."""
    changes = {"status": JobStatus.INTERRUPTED.value, "error": reason, "finished_at": now()}
    return update_unfinished(db, connection, claims, changes)


def release(
    db: Database, connection: Connection, claims: Mapping[str, Claim], owner: str | None = None
) -> int:
    """Give the named unfinished jobs back to the store, `queued` and owned by no process
    (`owner`: by a host, "host:", for host-local kinds).

    Whichever live process sweeps next (or this service's next start) claims and runs them.
    """
    changes = {"status": JobStatus.QUEUED.value, "owner": owner}
    return update_unfinished(db, connection, claims, changes)


def delete_finished_before(
    db: Database, connection: Connection, cutoff: datetime, batch: int
) -> int:
    """Delete up to `batch` finished records older than `cutoff`; return how many."""
    statuses = [status.value for status in FINISHED]
    cursor = db.execute(
        connection,
        "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE finished_at < ?"  # noqa: S608
        f" AND status IN ({placeholders(statuses)}) LIMIT ?)",
        (cutoff, *statuses, batch),
    )
    return int(cursor.rowcount)


def select_job(db: Database, connection: Connection, job_id: str) -> JobRecord | None:
    row = db.execute(connection, SELECT_RECORDS + " WHERE id = ?", (job_id,)).fetchone()
    return row_to_record(row) if row else None


def select_jobs(
    db: Database,
    connection: Connection,
    status: JobStatus | None = None,
    limit: int = 50,
    before: str | None = None,
    kind: str | None = None,
) -> list[Job]:
    """Newest first, optionally only one status or kind, optionally older than the job `before`.

    Only the columns a list shows: a job's arguments and result stay on disk.
    """
    conditions: list[str] = []
    params: list[Any] = []
    if status is not None:
        conditions.append("status = ?")
        params.append(status.value)
    if kind is not None:
        conditions.append("kind = ?")
        params.append(kind)
    if before is not None:
        conditions.append(BEFORE)
        params.append(before)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = db.execute(connection, SELECT_JOBS + where + NEWEST_FIRST, (*params, limit))
    return [row_to_job(row) for row in rows.fetchall()]


def select_version(db: Database, connection: Connection) -> str:
    """A value that changes whenever a job is recorded, changes or is deleted, by any process.

    Content, not a counter, so that every process sharing the store computes the same value
    (a tab's polls reach any of them), and what only touches other tables (lease renewals)
    changes nothing. Read from the ends of two indexes -- the newest job (recorded), the
    newest and the oldest finish (finished; pruned, which deletes from the oldest finish
    up) -- and from a few small columns of the unfinished jobs only (started, retried,
    released, taken over, progressed, asked to cancel: their count, owners, attempts, epochs,
    progress, cancel requests). Never
    a job's arguments or result, never a finished job, which changes only by being deleted.

    One case goes unseen until the next change: a job recorded *and* finished between two
    reads, both times older than those of jobs already seen (possible only when several
    processes' commits interleave).
    """
    params = (JobStatus.RUNNING.value, *(status.value for status in UNFINISHED))
    row = db.execute(connection, VERSION, params).fetchone()
    return "|".join(str(value) for value in row)
