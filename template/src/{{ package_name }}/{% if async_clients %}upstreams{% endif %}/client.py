"""The one outbound HTTP client of this service, shared by every request and job."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx2
from fastapi import Depends, FastAPI, Request

from .settings import UpstreamSettings

# One connection pool for the whole process: bounded, so a burst of requests cannot
# open thousands of sockets to one upstream, and kept alive between requests.
LIMITS = httpx2.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30)


@asynccontextmanager
async def http_client(app: FastAPI) -> AsyncIterator[None]:
    settings: UpstreamSettings = app.state.settings
    timeout = httpx2.Timeout(settings.http_timeout, connect=settings.http_connect_timeout)
    async with httpx2.AsyncClient(timeout=timeout, limits=LIMITS) as client:
        app.state.http_client = client
        yield


async def get_http_client(request: Request) -> httpx2.AsyncClient:
    client: httpx2.AsyncClient = request.app.state.http_client
    return client


HttpClientDep = Annotated[httpx2.AsyncClient, Depends(get_http_client)]
