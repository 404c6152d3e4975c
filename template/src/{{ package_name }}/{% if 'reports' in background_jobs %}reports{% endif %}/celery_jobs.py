"""The job records of the reports Celery runs (owner CELERY_OWNER): recorded `queued` before a
report is published, forgotten when the broker refuses it, then following its task's state.
Without Celery, the pool takes over the ones a switch from Celery left unfinished."""

from datetime import datetime
from typing import Any

from ..jobs import (
    CELERY_OWNER,
    FINISHED,
    SELECT_RECORDS,
    STILL_UNFINISHED,
    UNFINISHED_VALUES,
    WRITE_DEADLINE,
    Connection,
    Database,
    JobRecord,
    JobStatus,
    JobStore,
    NewJob,
    RecordedBefore,
    insert_job,
    now,
    row_to_record,
    to_json,
)


async def record_queued(store: JobStore, job: NewJob) -> RecordedBefore | None:
    """Record a job `queued` that Celery runs, not this service; as JobStore.add, nothing when
    the job it retries was retried already, and that retry is returned."""
    db = store.database
    before: RecordedBefore | None = await store.writer.run(
        lambda connection: insert_job(db, connection, job, CELERY_OWNER), WRITE_DEADLINE
    )
    return before


async def forget_queued(store: JobStore, job_id: str) -> None:
    """The job was not handed over to Celery after all: it is no job."""
    db = store.database
    await store.writer.run(
        lambda connection: db.execute(
            connection,
            "DELETE FROM jobs WHERE id = ? AND owner = ? AND status = ?",
            (job_id, CELERY_OWNER, JobStatus.QUEUED.value),
        ),
        WRITE_DEADLINE,
    )


async def follow(
    store: JobStore,
    job_id: str,
    status: JobStatus,
    *,
    error: str | None = None,
    result: dict[str, Any] | None = None,
    started_at: datetime | None = None,
    progress: tuple[int, int] | None = None,
) -> None:
    """Record where a job that Celery runs stands, as long as its record is unfinished;
    `progress`: its rows written so far, of its rows."""
    db = store.database
    done, total = progress or (None, None)
    await store.writer.run(
        lambda connection: follow_job(
            db, connection, job_id, status, error, result, started_at, done, total
        ),
        WRITE_DEADLINE,
    )


def follow_job(
    db: Database,
    connection: Connection,
    job_id: str,
    status: JobStatus,
    error: str | None,
    result: dict[str, Any] | None,
    started_at: datetime | None,
    done: int | None = None,
    total: int | None = None,
) -> None:
    at = now()
    db.execute(
        connection,
        "UPDATE jobs SET status = ?, attempts = COALESCE(?, attempts), error = ?,"  # noqa: S608
        " result = ?, started_at = COALESCE(started_at, ?), finished_at = ?,"
        " progress_done = COALESCE(?, progress_done), progress_total = COALESCE(?, progress_total)"
        f" WHERE id = ? AND owner = ? AND {STILL_UNFINISHED}",
        (
            *(status.value, None if status is JobStatus.QUEUED else 1, error),
            *(to_json(result) if result is not None else None, started_at),
            *(at if status in FINISHED else None, done, total),
            *(job_id, CELERY_OWNER, *UNFINISHED_VALUES),
        ),
    )


async def unfinished(store: JobStore, limit: int) -> list[JobRecord]:
    """The oldest unfinished jobs that Celery runs."""
    db = store.database
    return await store.read(lambda connection: select_unfinished(db, connection, limit))


def select_unfinished(db: Database, connection: Connection, limit: int) -> list[JobRecord]:
    rows = db.execute(
        connection,
        SELECT_RECORDS + f" WHERE owner = ? AND {STILL_UNFINISHED} ORDER BY created_at LIMIT ?",
        (CELERY_OWNER, *UNFINISHED_VALUES, limit),
    )
    return [row_to_record(row) for row in rows.fetchall()]
