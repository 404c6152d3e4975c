from functools import partial

from fastapi import APIRouter, BackgroundTasks, Request

from ..feature import Feature
from ..jobs.deps import JobRunnerDep
from .aggregate import fetch_all, record_timings
from .client import HttpClientDep, http_client
from .schemas import Aggregate, Registration, RegistrationAccepted
from .settings import UpstreamSettings
from .webhook import notify_admin, webhook_retry

router = APIRouter(tags=["upstreams"])


@router.get("/aggregate")
async def aggregate(
    client: HttpClientDep, tasks: BackgroundTasks, jobs: JobRunnerDep, request: Request
) -> Aggregate:
    """Every upstream in UPSTREAM_URLS, asked at once; each answers or fails on its own."""
    settings: UpstreamSettings = request.app.state.settings
    upstreams = await fetch_all(client, settings.upstream_urls, settings.http_timeout)
    job_id = await jobs.schedule(tasks, "upstream_timings", partial(record_timings, upstreams))
    return Aggregate(job_id=job_id, upstreams=upstreams)


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
