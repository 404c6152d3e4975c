"""Leases and take-overs: which processes are alive, and what becomes of the jobs of those that
are not (queries.py holds the rest of the statements)."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from .control_queries import CANCELLED_REASON
from .database import Changes, Connection, Database
from .queries import now, placeholders
from .records import CELERY_OWNER, UNFINISHED, Claim, JobStatus, TakenOver

# No live process owns the job: it was given back, or its owner's lease has expired.
# Celery's jobs are never gone: its workers run them, whichever processes of this service live.
OWNER_GONE = (
    "(owner IS NULL OR (owner <> '" + CELERY_OWNER + "' AND NOT EXISTS (SELECT 1 FROM"
    " instances WHERE instances.id = jobs.owner AND instances.lease_expires_at > ?)))"
)


def left_for_their_host(local_kinds: Sequence[str], host: str) -> tuple[str, list[Any]]:
    """The jobs of host-local kinds another host recorded: its disk, not this one's, has
    their output (`JobKind.host_local`); nobody's once given back by the command line."""
    if not local_kinds:
        return "0 = 1", []
    prefix = f"{host}:"
    return (
        f"(kind IN ({placeholders(local_kinds)}) AND owner IS NOT NULL"
        " AND substr(owner, 1, ?) <> ?)",
        [*local_kinds, len(prefix), prefix],
    )


def claim_abandoned(
    db: Database,
    connection: Connection,
    owner: str,
    kinds: Sequence[str],
    idempotent_kinds: Sequence[str],
    reason: str,
    local_kinds: Sequence[str] = (),
    max_recoveries: int = 3,
) -> tuple[list[TakenOver], int, int]:
    """Take over the jobs no live process owns that can run again; record the rest interrupted.

    Run again: those that never started, of a kind this process knows, and those cut off
    mid-run whose kind is idempotent. One statement claims them, so of several processes
    sweeping at once each job goes to one. They join this process's backlog, due when they
    were (`run_at`), and run as slots free. Jobs of host-local kinds of another host are
    left to it, neither claimed nor interrupted. Each takeover of a job cut off mid-run
    counts in its `recoveries`; the one that reaches `max_recoveries` records it `dead`
    instead (a job that keeps killing its process is not run again forever). Return the
    claimed jobs, how many were recorded dead, and how many interrupted (cut off mid-run, or
    recorded before arguments were stored).
    """
    if db.takeover_lock is not None:
        db.execute(connection, db.takeover_lock)
    at = now()
    dead = bury_poison(db, connection, idempotent_kinds, max_recoveries, at)
    cancel_asked(db, connection, at)
    rerunnable = [f"(status = ? AND kind IN ({placeholders(kinds)}))"] if kinds else []
    params: list[Any] = [JobStatus.QUEUED.value, *kinds] if kinds else []
    if idempotent_kinds:
        rerunnable.append(f"(status = ? AND kind IN ({placeholders(idempotent_kinds)}))")
        params += [JobStatus.RUNNING.value, *idempotent_kinds]
    elsewhere, elsewhere_params = left_for_their_host(local_kinds, owner.split(":")[0])
    claimed: list[TakenOver] = []
    if rerunnable:
        rows = db.execute(
            connection,
            "UPDATE jobs SET status = ?, owner = ?, epoch = epoch + 1,"  # noqa: S608 -- `?`s
            " run_at = COALESCE(run_at, ?),"
            " recoveries = recoveries + CASE WHEN status = ? THEN 1 ELSE 0 END"
            f" WHERE arguments IS NOT NULL AND ({' OR '.join(rerunnable)}) AND {OWNER_GONE}"
            f" AND NOT {elsewhere} RETURNING id, kind, attempts, epoch, retry_of",
            (
                *(JobStatus.QUEUED.value, owner, at, JobStatus.RUNNING.value),
                *(*params, at, *elsewhere_params),
            ),
        ).fetchall()
        claimed = [
            TakenOver(id_, kind, attempts, Claim(owner, epoch), retry_of)
            for id_, kind, attempts, epoch, retry_of in rows
        ]
    return claimed, dead, sweep_expired(db, connection, reason, at, (elsewhere, elsewhere_params))


def bury_poison(
    db: Database,
    connection: Connection,
    idempotent_kinds: Sequence[str],
    max_recoveries: int,
    at: datetime,
) -> int:
    """Record `dead` the jobs cut off mid-run whose next takeover would reach `max_recoveries`."""
    if not idempotent_kinds:
        return 0
    cursor = db.execute(
        connection,
        "UPDATE jobs SET status = ?, error = ?, finished_at = ?,"  # noqa: S608 -- `?`s
        " recoveries = recoveries + 1 WHERE arguments IS NOT NULL AND status = ?"
        f" AND kind IN ({placeholders(idempotent_kinds)}) AND recoveries + 1 >= ?"
        f" AND {OWNER_GONE}",
        (
            *(JobStatus.DEAD.value, dead_reason(max_recoveries), at, JobStatus.RUNNING.value),
            *(*idempotent_kinds, max_recoveries, at),
        ),
    )
    return int(cursor.rowcount)


def cancel_asked(db: Database, connection: Connection, at: datetime) -> None:
    """Record `cancelled`, not run again, the jobs a cancel was asked of whose process stopped
    before it could act on it."""
    statuses = [status.value for status in UNFINISHED]
    db.execute(
        connection,
        "UPDATE jobs SET status = ?, error = ?, finished_at = ?"  # noqa: S608 -- `?`s
        f" WHERE status IN ({placeholders(statuses)}) AND cancel_requested_at IS NOT NULL"
        f" AND {OWNER_GONE}",
        (JobStatus.CANCELLED.value, CANCELLED_REASON, at, *statuses, at),
    )


def dead_reason(max_recoveries: int) -> str:
    return (
        f"its process stopped while it ran, {max_recoveries} time(s) (JOBS_MAX_RECOVERIES):"
        " not run again"
    )


def take_lease(
    db: Database, connection: Connection, instance: str, host: str, pid: int, seconds: float
) -> None:
    """A new identity's first lease: alive for `seconds`, its unfinished jobs its own business."""
    at = now()
    db.execute(
        connection,
        "INSERT INTO instances (id, host, pid, started_at, lease_expires_at)"
        " VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET lease_expires_at = excluded.lease_expires_at",
        (instance, host, pid, at, at + timedelta(seconds=seconds)),
    )


def renew_lease(db: Database, connection: Connection, instance: str, seconds: float) -> Changes:
    """Alive for `seconds` more; no row changed when the lease is gone.

    Gone means another process found it run out and took this one's jobs over, in the same
    transaction that deleted it (sweep_expired): the lease is never re-created then.
    """
    changes: Changes = db.execute(
        connection,
        "UPDATE instances SET lease_expires_at = ? WHERE id = ?",
        (now() + timedelta(seconds=seconds), instance),
    )
    return changes


def release_lease(db: Database, connection: Connection, instance: str) -> None:
    db.execute(connection, "DELETE FROM instances WHERE id = ?", (instance,))


def sweep_expired(
    db: Database,
    connection: Connection,
    reason: str,
    at: datetime,
    left: tuple[str, list[Any]] = ("0 = 1", []),
) -> int:
    """Record interrupted the unfinished jobs no live process owns; forget the expired owners.

    Only those: a live process's jobs are never touched, whatever process runs this; nor
    those `left` for their own host.
    """
    statuses = [status.value for status in UNFINISHED]
    elsewhere, elsewhere_params = left
    cursor = db.execute(
        connection,
        "UPDATE jobs SET status = ?, error = ?, finished_at = ?"  # noqa: S608 -- only `?`s added
        f" WHERE status IN ({placeholders(statuses)}) AND {OWNER_GONE} AND NOT {elsewhere}",
        (JobStatus.INTERRUPTED.value, reason, at, *statuses, at, *elsewhere_params),
    )
    db.execute(connection, "DELETE FROM instances WHERE lease_expires_at <= ?", (at,))
    return int(cursor.rowcount)
