"""The schedules' table in the jobs store: which due time of each schedule has been claimed."""

from datetime import datetime

from ..jobs import WRITE_DEADLINE, Connection, Database, JobStore, NewJob, insert_job


async def claim(store: JobStore, name: str, due_at: datetime, job: NewJob) -> bool:
    """Record the job of this due time of a schedule, unless another process already has."""
    db, owner = store.database, store.instance
    claimed: bool = await store.writer.run(
        lambda connection: claim_run(db, connection, name, due_at, job, owner), WRITE_DEADLINE
    )
    return claimed


def claim_run(
    db: Database, connection: Connection, name: str, due_at: datetime, job: NewJob, owner: str
) -> bool:
    """Claim one due time of a schedule and record its job, or learn that another process did.

    A schedule seen for the first time starts from here: its current due time is recorded
    with no job (job_id ''), so a new service does not run a nightly job at its first start.
    """
    first = (
        db.execute(connection, "SELECT 1 FROM schedule_runs WHERE name = ? LIMIT 1", (name,))
    ).fetchone() is None
    claimed = db.execute(
        connection,
        "INSERT INTO schedule_runs (name, due_at, job_id) VALUES (?, ?, ?)"
        " ON CONFLICT (name, due_at) DO NOTHING",
        (name, due_at, "" if first else job.id),
    ).rowcount
    if claimed != 1 or first:
        return False
    insert_job(db, connection, job, owner)
    return True


def delete_runs_before(db: Database, connection: Connection, cutoff: datetime) -> int:
    """The jobs prune's part here: claims of due times older than the cutoff."""
    cursor = db.execute(connection, "DELETE FROM schedule_runs WHERE due_at < ?", (cutoff,))
    return int(cursor.rowcount)
