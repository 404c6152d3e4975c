import sentry_sdk

from ..jobs import JobEvent, JobStatus


def job_tags(job: JobEvent) -> dict[str, str]:
    """What an event about a job is tagged with: the names its log lines use."""
    tags = {"job_id": job.job_id, "job_kind": job.kind}
    if job.request_id is not None:
        tags["request_id"] = job.request_id
    return tags


class FailedJobReports:
    """The runner's JobObserver that reports each job that ends `failed` to Sentry, once.

    Only the final status counts: an attempt that is retried is not an error yet, and a
    job cut off by a shutdown (`interrupted`, or given back to run again) is not one at all.
    A job that ends `uncertain` (its work may have been done) is reported as a warning: a
    person has to find out whether it was, and retry it or not.
    """

    def accepted(self, job: JobEvent) -> None:
        pass

    def started(self, job: JobEvent, attempt: int) -> None:
        pass

    def retrying(self, job: JobEvent, attempt: int, error: Exception) -> None:
        pass

    def finished(
        self, job: JobEvent, status: JobStatus, seconds: float, error: Exception | None
    ) -> None:
        if error is None:
            return
        if status is JobStatus.FAILED:
            sentry_sdk.capture_exception(error, tags=job_tags(job))
        elif status is JobStatus.UNCERTAIN:
            sentry_sdk.capture_exception(error, level="warning", tags=job_tags(job))
