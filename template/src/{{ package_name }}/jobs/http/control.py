"""POST /jobs/{job_id}/cancel and POST /jobs/retry: cancel a job, retry jobs in bulk by filter."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, Field

from ..runtime.bulk_retry import retry_matching
from ..runtime.cancelling import JobNotCancellableError
from ..runtime.manual_retry import JobNotRetryableError, RetryNotConfirmedError
from ..store.records import JobRecord, JobStatus
from .deps import JobRunnerDep

CANCEL_ANSWERS: dict[int | str, dict[str, str]] = {
    202: {"description": "Running: its owner was asked to cancel it and has not confirmed yet"},
    404: {"description": "No such job"},
    409: {"description": "Finished, or past its point of no return (the reason says)"},
}


async def cancel_job(job_id: str, runner: JobRunnerDep, response: Response) -> JobRecord:
    """Cancel a queued or running job, through whichever process of the service.

    A queued job is `cancelled` at once and never runs. A running job is cancelled by the
    process that runs it, which looks for requests every few tenths of a second: the answer
    waits up to about 1.5 s for it and is the job's record, `cancelled` (200); still
    `running` (202) if its owner has not confirmed yet (it is cancelled as soon as it does).
    409 for a finished job, and for one past its point of no return (an email handed over
    cannot be unsent).
    """
    try:
        job = await runner.cancel(job_id)
    except JobNotCancellableError as error:
        raise HTTPException(409, str(error)) from error
    if job is None:
        raise HTTPException(404, f"no job with id {job_id!r}")
    if job.status is not JobStatus.CANCELLED:
        response.status_code = 202
    return job


class BulkRetryRequest(BaseModel):
    status: Annotated[list[JobStatus], Field(min_length=1)]
    """Retry the jobs in these statuses: failed, interrupted, dead; uncertain with `confirm`."""
    kind: str | None = None
    """Only the jobs of this kind."""
    dry_run: bool = False
    """Only count them."""
    confirm: bool = False
    """Retry `uncertain` jobs too, knowing they may have done their work already."""


class BulkRetryAnswer(BaseModel):
    matching: int
    """The jobs that match and are not retried yet (at most the limit)."""
    retried: int
    """How many were retried: 0 for a dry run."""
    job_ids: list[str]
    """The new jobs, each naming the one it retries in `retry_of`."""


async def retry_jobs(body: BulkRetryRequest, runner: JobRunnerDep) -> BulkRetryAnswer:
    """Retry in bulk the jobs of some statuses (and a kind) that are not retried yet.

    Each becomes a new job, as POST /jobs/{job_id}/retry would make it. At most
    1,000 jobs per request, the oldest first: send it again for more. With
    `dry_run`, only how many would be. 409 for a status that does not retry, and for
    `uncertain` without `confirm`.
    """
    try:
        done = await retry_matching(
            runner, body.status, body.kind, confirmed=body.confirm, dry_run=body.dry_run
        )
    except RetryNotConfirmedError as error:
        raise HTTPException(409, f'{error} ("confirm": true)') from error
    except JobNotRetryableError as error:
        raise HTTPException(409, str(error)) from error
    return BulkRetryAnswer(matching=done.matching, retried=len(done.job_ids), job_ids=done.job_ids)


def add_routes(router: APIRouter) -> None:
    """On the /jobs router itself: its routes are what the API token and the dashboard guard."""
    router.add_api_route(
        "/retry", retry_jobs, methods=["POST"], status_code=202, response_model=BulkRetryAnswer
    )
    router.add_api_route(
        "/{job_id}/cancel",
        cancel_job,
        methods=["POST"],
        response_model=JobRecord,
        responses={**CANCEL_ANSWERS},
    )
