"""The jobs of GET /aggregate (record the upstreams' response times) and POST /register."""

import logging

import httpx2
from fastapi import FastAPI

from ..jobs import Arguments, JobKind, JobResult, RetryPolicy
from .settings import UpstreamSettings
from .webhook import notify_admin, webhook_retry

logger = logging.getLogger(__name__)

TIMING_FIELDS = ("url", "ok", "status_code", "elapsed_ms")


async def record_timings(app: FastAPI, arguments: Arguments) -> JobResult:
    """Log and keep each upstream's response time (`timings`: the results without data)."""
    timings = arguments["timings"]
    for timing in timings:
        outcome = timing.get("error", "ok")
        logger.info("upstream %s took %.1f ms: %s", timing["url"], timing["elapsed_ms"], outcome)
    return {"timings": [{key: timing[key] for key in TIMING_FIELDS} for timing in timings]}


async def notify(app: FastAPI, arguments: Arguments) -> JobResult:
    settings: UpstreamSettings = app.state.settings
    client: httpx2.AsyncClient = app.state.http_client
    return await notify_admin(client, settings.admin_webhook_url, arguments["username"])


def retry_webhook(app: FastAPI) -> RetryPolicy:
    return webhook_retry(app.state.settings)


WEBHOOKS_AT_ONCE = 10
"""Webhook calls at once: the admin's endpoint is one server."""

# Idempotent: it only logs and records what the request measured.
RECORD_TIMINGS = JobKind("upstream_timings", record_timings, idempotent=True)
# Not idempotent: cut off mid-run, the webhook may have been told already.
NOTIFY_ADMIN = JobKind(
    "admin_webhook",
    notify,
    idempotent=False,
    retry=retry_webhook,
    concurrency=lambda _: WEBHOOKS_AT_ONCE,
)
