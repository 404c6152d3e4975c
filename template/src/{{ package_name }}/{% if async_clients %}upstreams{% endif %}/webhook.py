"""The job of POST /register: tell the admin webhook about a new user."""

import logging

import httpx2

from ..jobs import JobResult, OutcomeUnknownError, RetryPolicy, backoff, describe
from ..settings import CoreSettings

logger = logging.getLogger(__name__)

# Nothing of the request went out: worth another try, the webhook may be up in a moment.
TRANSIENT_ERRORS = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout)
# The request went out, or part of it, and no response came: the webhook may have acted.
SENT_THEN_LOST = (
    httpx2.WriteTimeout,
    httpx2.WriteError,
    httpx2.ReadTimeout,
    httpx2.ReadError,
    httpx2.RemoteProtocolError,
)


def is_transient(error: BaseException) -> bool:
    """No connection (nothing was sent) or a 5xx: try again; a 4xx means our request is wrong."""
    if isinstance(error, httpx2.HTTPStatusError):
        return error.response.is_server_error
    return isinstance(error, TRANSIENT_ERRORS)


def webhook_retry(settings: CoreSettings) -> RetryPolicy:
    return backoff(settings, is_transient)


async def notify_admin(client: httpx2.AsyncClient, url: str | None, username: str) -> JobResult:
    if url is None:
        logger.info("ADMIN_WEBHOOK_URL is not set: nobody notified of user %r", username)
        return {"sent": False, "reason": "ADMIN_WEBHOOK_URL is not set"}
    try:
        response = await client.post(url, json={"user": username})
    except SENT_THEN_LOST as error:
        raise OutcomeUnknownError(
            "may have been delivered: the request went out to the webhook and no response"
            f" came back ({describe(error)})"
        ) from error
    response.raise_for_status()
    return {"sent": True, "status_code": response.status_code}
