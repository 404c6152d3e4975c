"""GET /jobs, GET /jobs/{job_id}: what happened to every background job; and retrying one."""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, HTTPException, Query, Request, Response
from pydantic import BaseModel

from .deps import JobRunnerDep
from .models import Job, JobRecord, JobStatus
from .rerun import JobNotRetryableError, RetryNotConfirmedError

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("", response_model=list[Job])
async def list_jobs(
    runner: JobRunnerDep,
    request: Request,
    response: Response,
    status: JobStatus | None = None,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[str | None, Query(description="Only jobs created before this job id")] = None,
) -> list[JobRecord]:
    """Newest first. A full page links to the next one (`Link: <...>; rel="next"`)."""
    jobs = await runner.store.recent(status, limit, before, kind)
    if len(jobs) == limit:
        following = request.url.include_query_params(before=jobs[-1].id)
        response.headers["Link"] = f'<{following}>; rel="next"'
    return jobs


@router.get("/{job_id}", response_model=JobRecord)
async def get_job(job_id: str, runner: JobRunnerDep) -> JobRecord:
    """The job in full: the list's fields, and its `arguments` and `result`."""
    job = await runner.store.get(job_id)
    if job is None:
        raise HTTPException(404, f"no job with id {job_id!r}")
    return job


class RetryAccepted(BaseModel):
    job_id: str
    """The new attempt's job; its record names the retried job in `retry_of`."""
    retry_of: str


@router.post("/{job_id}/retry", status_code=202)
async def retry_job(
    job_id: str,
    runner: JobRunnerDep,
    tasks: BackgroundTasks,
    confirm: Annotated[
        bool,
        Query(
            description="Retry an `uncertain` job, knowing it may have done its work already"
            " and may do it twice. Not needed for failed or interrupted jobs."
        ),
    ] = False,
) -> RetryAccepted:
    """Run a failed or interrupted job again from its stored arguments, as a new job.

    An `uncertain` job runs again only with `?confirm=true` (409 without). 409 for a job
    that is queued, running or succeeded, or was retried already.
    """
    try:
        new_id = await runner.retry(tasks, job_id, confirmed=confirm)
    except RetryNotConfirmedError as error:
        raise HTTPException(409, f"{error} (?confirm=true)") from error
    except JobNotRetryableError as error:
        raise HTTPException(409, str(error)) from error
    if new_id is None:
        raise HTTPException(404, f"no job with id {job_id!r}")
    return RetryAccepted(job_id=new_id, retry_of=job_id)
