"""GET /jobs, GET /jobs/{job_id}: what happened to every background job; retrying one, and
cancelling one or retrying many (control.py)."""

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, HTTPException, Query, Request, Response
from pydantic import BaseModel, TypeAdapter

from ..runtime.manual_retry import JobNotRetryableError, RetryNotConfirmedError
from ..store.records import Job, JobRecord, JobStatus
from . import control
from .deps import JobRunnerDep

router = APIRouter(prefix="/jobs", tags=["jobs"])

JOBS = TypeAdapter(list[Job])

NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "No job has changed since the answer that had the If-None-Match tag"}
}


@router.get("", response_model=list[Job], responses=NOT_MODIFIED)
async def list_jobs(
    runner: JobRunnerDep,
    request: Request,
    status: JobStatus | None = None,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[str | None, Query(description="Only jobs created before this job id")] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Newest first. A full page links to the next one (`Link: <...>; rel="next"`).

    Every answer has an ETag; send it back in If-None-Match to get 304 Not Modified,
    without a job read, while no job has changed (what the dashboard does every second).
    """
    version = await runner.store.version()  # before the rows: a change after it shows next time
    tag = entity_tag(version, request.url.query)
    headers = {"ETag": tag, "Cache-Control": "no-cache"}
    if if_none_match is not None and matches(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    jobs = await runner.store.recent(status, limit, before, kind)
    if len(jobs) == limit:
        # Relative (RFC 8288 allows it): an absolute link would carry the request's Host
        # header, which the client chose.
        following = request.url.include_query_params(before=jobs[-1].id)
        headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'
    # Serialised in one pass from the models the store built (response_model is for the docs).
    return Response(JOBS.dump_json(jobs), media_type="application/json", headers=headers)


def entity_tag(version: str, query: str) -> str:
    """The list's ETag: the store's version and the question asked (its query string)."""
    digest = hashlib.blake2b(f"{version}?{query}".encode(), digest_size=16).hexdigest()
    return f'"{digest}"'


def matches(if_none_match: str, tag: str) -> bool:
    """Whether If-None-Match names `tag` (weak comparison, as RFC 9110 asks for it)."""
    given = {candidate.strip().removeprefix("W/") for candidate in if_none_match.split(",")}
    return tag in given or "*" in given


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


control.add_routes(router)
