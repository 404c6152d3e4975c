"""What the dashboard and GET /metrics show of all the jobs: how many of each kind are in
each status, and how many finished in each minute lately."""

from dataclasses import dataclass
from datetime import UTC, datetime

from .database import Connection, Database


@dataclass(frozen=True, slots=True)
class JobCount:
    kind: str
    status: str
    count: int


@dataclass(frozen=True, slots=True)
class MinuteCount:
    """How many jobs finished with `status` in the minute that began at `minute` (UTC)."""

    minute: datetime
    status: str
    count: int


def count_jobs(db: Database, connection: Connection) -> list[JobCount]:
    """Every job in the store, counted by kind and status (one pass over the table)."""
    rows = db.execute(connection, "SELECT kind, status, count(*) FROM jobs GROUP BY kind, status")
    return [JobCount(kind, status, count) for kind, status, count in rows.fetchall()]


def count_finished_per_minute(
    db: Database, connection: Connection, since: datetime
) -> list[MinuteCount]:
    """The jobs finished since `since`, counted by minute and status: a range of the
    `jobs_finished` index (on finished_at), never the whole table."""
    minute = db.minute("finished_at")
    rows = db.execute(
        connection,
        f"SELECT {minute}, status, count(*) FROM jobs"  # noqa: S608 -- the engine's expression
        " WHERE finished_at >= ? GROUP BY 1, 2",
        (since,),
    )
    return [
        MinuteCount(datetime.fromisoformat(text).replace(tzinfo=UTC), status, count)
        for text, status, count in rows.fetchall()
    ]
