from functools import partial

from fastapi import APIRouter, BackgroundTasks, Request, Response

from ..feature import Feature
from ..jobs.deps import JobRunnerDep
from .aggregate import fetch_all, record_timings
from .client import HttpClientDep, http_client
from .schemas import Registration, RegistrationAccepted, UpstreamResult
from .settings import UpstreamSettings
from .webhook import notify_admin, webhook_retry

router = APIRouter(tags=["upstreams"])

JOB_ID_HEADER = "X-Job-Id"


@router.get("/aggregate")
async def aggregate(
    client: HttpClientDep,
    tasks: BackgroundTasks,
    jobs: JobRunnerDep,
    request: Request,
    response: Response,
) -> list[UpstreamResult]:
    """Every upstream in UPSTREAM_URLS, asked at once; each answers or fails on its own.

    The id of the job recording their response times is in the `X-Job-Id` header.
    """
    settings: UpstreamSettings = request.app.state.settings
    upstreams = await fetch_all(client, settings.upstream_urls, settings.http_timeout)
    job_id = await jobs.schedule(tasks, "upstream_timings", partial(record_timings, upstreams))
    response.headers[JOB_ID_HEADER] = job_id
    return upstreams


@router.post("/register", status_code=202)
async def register(
    body: Registration,
    client: HttpClientDep,
    tasks: BackgroundTasks,
    jobs: JobRunnerDep,
    request: Request,
) -> RegistrationAccepted:
    """Announce a new user to ADMIN_WEBHOOK_URL after the response, retried with backoff."""
    settings: UpstreamSettings = request.app.state.settings
    notify = partial(notify_admin, client, settings.admin_webhook_url, body.username)
    job_id = await jobs.schedule(
        tasks, "admin_webhook", notify, webhook_retry(request.app.state.settings)
    )
    return RegistrationAccepted(job_id=job_id)


feature = Feature(name="upstreams", router=router, resources=http_client)
