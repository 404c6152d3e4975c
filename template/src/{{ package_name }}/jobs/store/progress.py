"""A running job's progress, as its record holds it (runtime/progress.py writes it)."""

from .database import Changes, Connection, Database
from .queries import OWNED, STILL_UNFINISHED, UNFINISHED_VALUES
from .records import Claim


def mark_progress(
    db: Database, connection: Connection, job_id: str, claim: Claim, done: int, total: int | None
) -> Changes:
    """Record how far the job has got; no row changed once it ended or was taken over."""
    changes: Changes = db.execute(
        connection,
        "UPDATE jobs SET progress_done = ?, progress_total = ?"  # noqa: S608 -- constants
        f" WHERE {OWNED} AND {STILL_UNFINISHED}",
        (done, total, job_id, claim.owner, claim.epoch, *UNFINISHED_VALUES),
    )
    return changes
