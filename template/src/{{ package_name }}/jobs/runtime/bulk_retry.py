"""Retrying jobs in bulk, by status and kind: each one as `jobs retry JOB_ID` would, once.

Only failed, interrupted and dead jobs; `uncertain` ones only when the request confirms it
(manual_retry.py). The jobs retried already are left out, so a bulk retry repeated retries
only what failed since; at most BULK_RETRY_LIMIT jobs per request, the oldest first.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from fastapi import BackgroundTasks

from ..store.control_queries import not_retried
from ..store.database import Database
from ..store.records import RETRYABLE, JobStatus
from . import maintenance
from .manual_retry import JobNotRetryableError, RetryNotConfirmedError
from .runner import JobRunner

BULK_RETRY_LIMIT = 1000
BULK_RETRYABLE = (*RETRYABLE, JobStatus.UNCERTAIN)


@dataclass
class BulkRetry:
    matching: int
    """Jobs that match the filter and are not retried yet (up to BULK_RETRY_LIMIT)."""
    job_ids: list[str] = field(default_factory=list)
    """The new jobs, one per job retried (none for a dry run)."""


def check_statuses(statuses: Sequence[JobStatus], *, confirmed: bool) -> None:
    """JobNotRetryableError for a status that never retries, or `uncertain` unconfirmed."""
    if not statuses:
        raise JobNotRetryableError("name the statuses to retry: failed, interrupted, dead")
    for status in statuses:
        if status not in BULK_RETRYABLE:
            raise JobNotRetryableError(
                f"{status.value} jobs do not retry: only failed, interrupted, dead"
                " or (confirmed) uncertain ones"
            )
    if JobStatus.UNCERTAIN in statuses and not confirmed:
        raise RetryNotConfirmedError(
            "uncertain jobs may have done their work already: a retry may do it a second"
            " time; check them first, then confirm the retry to run them anyway"
        )


async def retry_matching(
    runner: JobRunner,
    statuses: Sequence[JobStatus],
    kind: str | None,
    *,
    confirmed: bool = False,
    dry_run: bool = False,
) -> BulkRetry:
    """Retry the jobs of `statuses` (and `kind`) no job retries yet; how many, and the new ids.

    Each new job runs at once in a task of its own, as a scheduled job would.
    """
    check_statuses(statuses, confirmed=confirmed)
    store = runner.store
    ids = await store.read(store.bound(not_retried, statuses, kind, BULK_RETRY_LIMIT))
    done = BulkRetry(matching=len(ids))
    if dry_run:
        return done
    for job_id in ids:
        tasks = BackgroundTasks()
        try:
            new_id = await runner.retry(tasks, job_id, confirmed=confirmed)
        except JobNotRetryableError:  # retried meanwhile, or its kind is not this service's
            continue
        if new_id is not None:
            done.job_ids.append(new_id)
            runner.detach(tasks())
    return done


def retry_matching_offline(
    database: Database,
    statuses: Sequence[JobStatus],
    kind: str | None,
    known_kinds: Collection[str],
    *,
    confirmed: bool = False,
    dry_run: bool = False,
) -> BulkRetry:
    """The same from the command line: each new job queued for a running service to take."""
    check_statuses(statuses, confirmed=confirmed)
    with maintenance.reading(database) as connection:
        ids = not_retried(database, connection, statuses, kind, BULK_RETRY_LIMIT)
    done = BulkRetry(matching=len(ids))
    if dry_run:
        return done
    for job_id in ids:
        try:
            new_id = maintenance.retry(database, job_id, known_kinds, confirmed=confirmed)
        except JobNotRetryableError:
            continue
        if new_id is not None:
            done.job_ids.append(new_id)
    return done
