import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST

from ..security import bearer
from .instruments import Metrics

router = APIRouter(tags=["metrics"])


async def require_metrics_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Open unless METRICS_TOKEN is set: the scraper gets its own token, not the API's."""
    expected = request.app.state.settings.metrics_token
    if expected is None:
        return
    given = credentials.credentials if credentials else ""
    if not secrets.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise HTTPException(
            401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
        )


# Not in the OpenAPI schema: it is for the scraper, not for the API's clients.
@router.get("/metrics", dependencies=[Depends(require_metrics_token)], include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus text format: every request, job and jobs-store write of every worker."""
    instruments: Metrics = request.app.state.metrics
    return Response(instruments.page(), media_type=CONTENT_TYPE_LATEST)
