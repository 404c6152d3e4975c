"""The statements of a process's backlog: its jobs that wait in the store for a slot of their
kind or for their time.

A waiting job is `queued`, owned by its process, with `run_at` set (the time it may start;
its scheduling time when it only waits for a slot). Claimed to run, its `run_at` is cleared:
a `queued` job without one is held in a process's memory, about to start.
"""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .database import Connection, Database
from .queries import as_datetime, placeholders
from .records import Claim, ClaimedJob, JobStatus

WAITING = "status = ? AND owner = ? AND kind = ? AND run_at IS NOT NULL"


def claim_due(
    db: Database, connection: Connection, owner: str, kind: str, limit: int, at: datetime
) -> list[ClaimedJob]:
    """Claim up to `limit` of `owner`'s jobs of `kind` due at `at`: the highest priority
    first, the oldest first within one. Each under a new epoch, its `run_at` cleared."""
    queued = JobStatus.QUEUED.value
    rows = db.execute(
        connection,
        "UPDATE jobs SET run_at = NULL, epoch = epoch + 1"  # noqa: S608 -- constant, `?`s
        f" WHERE id IN (SELECT id FROM jobs WHERE {WAITING} AND run_at <= ?"
        " ORDER BY priority DESC, id LIMIT ?) AND status = ? AND owner = ?"
        " RETURNING id, kind, arguments, request_id, attempts, epoch, retry_of, priority",
        (queued, owner, kind, at, limit, queued, owner),
    ).fetchall()
    rows.sort(key=lambda row: (-row[7], row[0]))  # RETURNING keeps no order
    return [
        ClaimedJob(
            id_, kind_, json.loads(arguments), request_id, attempts, Claim(owner, epoch), retry_of
        )
        for id_, kind_, arguments, request_id, attempts, epoch, retry_of, _ in rows
    ]


def waiting(
    db: Database, connection: Connection, owner: str, kind: str
) -> tuple[int, datetime | None]:
    """How many of `owner`'s jobs of `kind` wait in the store, and the earliest's time."""
    count, earliest = db.execute(
        connection,
        f"SELECT count(*), min(run_at) FROM jobs WHERE {WAITING}",  # noqa: S608 -- constant
        (JobStatus.QUEUED.value, owner, kind),
    ).fetchone()
    return int(count), as_datetime(earliest)


def release_waiting(
    db: Database, connection: Connection, owner: str, local_kinds: Sequence[str], host: str
) -> int:
    """Give back every job `owner` has waiting: to no process, or to `host` ("host:") for
    host-local kinds. They keep their time and priority."""
    mine = "status = ? AND owner = ? AND run_at IS NOT NULL"
    params: tuple[Any, ...] = (JobStatus.QUEUED.value, owner)
    given: int = 0
    if local_kinds:
        given += db.execute(
            connection,
            f"UPDATE jobs SET owner = ? WHERE {mine}"  # noqa: S608 -- constants, `?`s
            f" AND kind IN ({placeholders(local_kinds)})",
            (host, *params, *local_kinds),
        ).rowcount
    back = f"UPDATE jobs SET owner = NULL WHERE {mine}"  # noqa: S608 -- constant
    given += db.execute(connection, back, params).rowcount
    return int(given)
