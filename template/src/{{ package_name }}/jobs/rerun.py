"""Retrying a job by hand: a failed or interrupted job runs again, as a new job that names it."""

from collections.abc import Collection

from .models import RETRYABLE, JobRecord, NewJob, RecordedBefore


class JobNotRetryableError(Exception):
    """The job is not failed or interrupted, its kind is unknown, or it was retried already."""


def new_attempt(
    failed: JobRecord, known_kinds: Collection[str], job_id: str, request_id: str | None
) -> NewJob:
    """The job that retries `failed` (JobNotRetryableError if it cannot be retried)."""
    if failed.status not in RETRYABLE:
        raise JobNotRetryableError(
            f"job {failed.id} is {failed.status.value}: only failed or interrupted jobs retry"
        )
    if failed.kind not in known_kinds or failed.arguments is None:
        raise JobNotRetryableError(f"job {failed.id} ({failed.kind}) cannot run again here")
    return NewJob(
        id=job_id,
        kind=failed.kind,
        arguments=failed.arguments,
        request_id=request_id,
        retry_of=failed.id,
    )


def retried_already(failed_id: str, before: RecordedBefore) -> JobNotRetryableError:
    # Once per job: a double click must not send an email twice. Retry the retry instead.
    return JobNotRetryableError(f"job {failed_id} was retried already, as job {before.id}")
