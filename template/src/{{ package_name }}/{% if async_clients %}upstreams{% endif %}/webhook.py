"""The job of POST /register: tell the admin webhook about a new user."""

import logging

import httpx2

from ..jobs.kinds import JobResult
from ..jobs.retry import RetryPolicy, backoff
from ..settings import CoreSettings

logger = logging.getLogger(__name__)

# Worth another try: the webhook may be back up, reachable or less busy in a moment.
TRANSIENT_ERRORS = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)


def is_transient(error: BaseException) -> bool:
    """Transport errors, timeouts and 5xx pass; a 4xx means our request is wrong: it stays wrong."""
    if isinstance(error, httpx2.HTTPStatusError):
        return error.response.is_server_error
    return isinstance(error, TRANSIENT_ERRORS)


def webhook_retry(settings: CoreSettings) -> RetryPolicy:
    return backoff(settings, is_transient)


async def notify_admin(client: httpx2.AsyncClient, url: str | None, username: str) -> JobResult:
    if url is None:
        logger.info("ADMIN_WEBHOOK_URL is not set: nobody notified of user %r", username)
        return {"sent": False, "reason": "ADMIN_WEBHOOK_URL is not set"}
    response = await client.post(url, json={"user": username})
    response.raise_for_status()
    return {"sent": True, "status_code": response.status_code}
