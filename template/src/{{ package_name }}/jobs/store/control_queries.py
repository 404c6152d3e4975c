"""The statements of job control: cancel a job, find the cancels asked of this process's jobs,
and pick the jobs a bulk retry takes (queries.py holds the rest)."""

from collections.abc import Sequence
from datetime import datetime

from .database import Connection, Database
from .queries import OWNED, STILL_UNFINISHED, UNFINISHED_VALUES, placeholders
from .records import Claim, JobStatus

CANCELLED_REASON = "cancelled on request"


def cancel_or_ask(
    db: Database, connection: Connection, job_id: str, kinds: Sequence[str], at: datetime
) -> str | None:
    """Cancel a job: recorded `cancelled` if it is `queued`; if it is running, of one of `kinds`
    (those that may be cut off), asked of its owner. The job's status then; None when neither.

    One conditional statement, so a process claiming or starting the job meanwhile either
    gets it first (and the job is then running) or finds it cancelled. A cancelled job's
    epoch goes up: whatever its owner holds of it no longer matches any write it makes.
    """
    queued = "CASE WHEN status = ? THEN"
    running = f" OR (status = ? AND kind IN ({placeholders(kinds)}))" if kinds else ""
    row = db.execute(
        connection,
        f"UPDATE jobs SET status = {queued} ? ELSE status END,"  # noqa: S608 -- `?`s only
        f" error = {queued} ? ELSE error END, finished_at = {queued} ? ELSE finished_at END,"
        f" epoch = {queued} epoch + 1 ELSE epoch END,"
        " cancel_requested_at = COALESCE(cancel_requested_at, ?)"
        f" WHERE id = ? AND (status = ?{running})"
        " RETURNING status",
        (
            *(JobStatus.QUEUED.value, JobStatus.CANCELLED.value),
            *(JobStatus.QUEUED.value, CANCELLED_REASON, JobStatus.QUEUED.value, at),
            *(JobStatus.QUEUED.value, at, job_id, JobStatus.QUEUED.value),
            *([JobStatus.RUNNING.value, *kinds] if kinds else []),
        ),
    ).fetchone()
    return str(row[0]) if row else None


def cancels_asked(db: Database, connection: Connection, job_ids: Sequence[str]) -> list[str]:
    """Of these jobs (this process's), those a cancel was asked of: running or cancelled queued.

    By primary key only: cheap enough to ask every few tenths of a second.
    """
    if not job_ids:
        return []
    rows = db.execute(
        connection,
        f"SELECT id FROM jobs WHERE id IN ({placeholders(job_ids)})"  # noqa: S608 -- `?`s
        " AND cancel_requested_at IS NOT NULL",
        tuple(job_ids),
    ).fetchall()
    return [row[0] for row in rows]


def mark_cancelled(
    db: Database, connection: Connection, job_id: str, claim: Claim, reason: str, at: datetime
) -> int:
    """The owner records its job cancelled, while the job is still unfinished and its own."""
    return int(
        db.execute(
            connection,
            "UPDATE jobs SET status = ?, error = ?, finished_at = ?"  # noqa: S608 -- constants
            f" WHERE {OWNED} AND {STILL_UNFINISHED}",
            (
                *(JobStatus.CANCELLED.value, reason, at),
                *(job_id, claim.owner, claim.epoch, *UNFINISHED_VALUES),
            ),
        ).rowcount
    )


def not_retried(
    db: Database,
    connection: Connection,
    statuses: Sequence[JobStatus],
    kind: str | None,
    limit: int,
) -> list[str]:
    """The ids of up to `limit` jobs in `statuses` (of `kind`) that no job retries yet, oldest
    first."""
    if not statuses:
        return []
    values = [status.value for status in statuses]
    condition = " AND kind = ?" if kind is not None else ""
    rows = db.execute(
        connection,
        f"SELECT id FROM jobs WHERE status IN ({placeholders(values)}){condition}"  # noqa: S608
        " AND NOT EXISTS (SELECT 1 FROM jobs retries WHERE retries.retry_of = jobs.id)"
        " ORDER BY created_at, id LIMIT ?",
        (*values, *([kind] if kind is not None else []), limit),
    ).fetchall()
    return [row[0] for row in rows]
