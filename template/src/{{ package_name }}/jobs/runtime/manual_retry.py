"""Retrying a job by hand: a failed, interrupted or dead job runs again, as a new job that
names it.

An `uncertain` job may have done its work already (a request sent, then no reply): it
runs again only when the person asking confirms that this is what they want.
"""

from collections.abc import Collection

from ..store.records import RETRYABLE, JobRecord, JobStatus, NewJob, RecordedBefore


class JobNotRetryableError(Exception):
    """The job is not failed, interrupted or dead, its kind is unknown, or was retried already."""


class RetryNotConfirmedError(JobNotRetryableError):
    """The job is `uncertain` and the retry was not confirmed: it may do the work twice."""


def new_attempt(
    failed: JobRecord,
    known_kinds: Collection[str],
    job_id: str,
    request_id: str | None,
    *,
    confirmed: bool = False,
) -> NewJob:
    """The job that retries `failed` (JobNotRetryableError if it cannot be retried).

    `confirmed`: the caller knows an `uncertain` job may have done its work, and retries it.
    """
    if failed.status is JobStatus.UNCERTAIN:
        if not confirmed:
            raise RetryNotConfirmedError(
                f"job {failed.id} is uncertain ({failed.error}): a retry may do its work"
                " a second time; check first, then confirm the retry to run it anyway"
            )
    elif failed.status not in RETRYABLE:
        raise JobNotRetryableError(
            f"job {failed.id} is {failed.status.value}:"
            " only failed, interrupted, dead or (confirmed) uncertain jobs retry"
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
