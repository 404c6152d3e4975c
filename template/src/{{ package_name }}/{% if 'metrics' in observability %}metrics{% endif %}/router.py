from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST

from ..security import bearer, check_bearer
from .instruments import Metrics

router = APIRouter(tags=["metrics"])


async def require_metrics_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Open unless METRICS_TOKEN is set: the scraper gets its own token, not the API's."""
    check_bearer(request.app.state.settings.metrics_token, credentials)


# Not in the OpenAPI schema: it is for the scraper, not for the API's clients.
@router.get("/metrics", dependencies=[Depends(require_metrics_token)], include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus text format: every request, job and jobs-store write of every worker, and
    the jobs in the store."""
    instruments: Metrics = request.app.state.metrics
    for fetch in instruments.before_scrape:
        await fetch()
    return Response(instruments.page(), media_type=CONTENT_TYPE_LATEST)
