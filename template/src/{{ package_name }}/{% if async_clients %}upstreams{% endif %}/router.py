from fastapi import APIRouter, BackgroundTasks, Request, Response

from ..feature import Feature
from ..jobs import IdempotencyDep, JobRunnerDep
from .aggregate import fetch_all
from .client import HttpClientDep, http_client
from .jobs import NOTIFY_ADMIN, RECORD_TIMINGS
from .schemas import Registration, RegistrationAccepted, UpstreamResult
from .settings import UpstreamSettings

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
    timings = [upstream.model_dump(exclude={"data"}) for upstream in upstreams]
    job_id = await jobs.schedule(tasks, RECORD_TIMINGS, {"timings": timings})
    response.headers[JOB_ID_HEADER] = job_id
    return upstreams


@router.post("/register", status_code=202)
async def register(
    body: Registration, tasks: BackgroundTasks, jobs: JobRunnerDep, idempotency: IdempotencyDep
) -> RegistrationAccepted:
    """Announce a new user to ADMIN_WEBHOOK_URL after the response, retried with backoff."""
    job_id = await jobs.schedule(tasks, NOTIFY_ADMIN, {"username": body.username}, idempotency)
    return RegistrationAccepted(job_id=job_id)


feature = Feature(
    name="upstreams",
    router=router,
    resources=http_client,
    job_kinds=(RECORD_TIMINGS, NOTIFY_ADMIN),
)
