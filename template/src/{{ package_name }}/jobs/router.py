"""GET /jobs and GET /jobs/{job_id}: what happened to every background job."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response

from .deps import JobRunnerDep
from .models import Job, JobRecord, JobStatus

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("", response_model=list[Job])
async def list_jobs(
    runner: JobRunnerDep,
    request: Request,
    response: Response,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[str | None, Query(description="Only jobs created before this job id")] = None,
) -> list[JobRecord]:
    """Newest first. A full page links to the next one (`Link: <...>; rel="next"`)."""
    jobs = await runner.store.recent(status, limit, before)
    if len(jobs) == limit:
        following = request.url.include_query_params(before=jobs[-1].id)
        response.headers["Link"] = f'<{following}>; rel="next"'
    return jobs


@router.get("/{job_id}", response_model=Job)
async def get_job(job_id: str, runner: JobRunnerDep) -> JobRecord:
    job = await runner.store.get(job_id)
    if job is None:
        raise HTTPException(404, f"no job with id {job_id!r}")
    return job
