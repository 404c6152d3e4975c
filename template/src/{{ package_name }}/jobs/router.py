"""GET /jobs and GET /jobs/{job_id}: what happened to every background job."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from .deps import JobRunnerDep
from .models import Job, JobRecord, JobStatus

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("", response_model=list[Job])
async def list_jobs(
    runner: JobRunnerDep,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[JobRecord]:
    return await runner.store.recent(status, limit)


@router.get("/{job_id}", response_model=Job)
async def get_job(job_id: str, runner: JobRunnerDep) -> JobRecord:
    job = await runner.store.get(job_id)
    if job is None:
        raise HTTPException(404, f"no job with id {job_id!r}")
    return job
