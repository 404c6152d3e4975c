"""Ask every upstream at once; a slow or broken one never spoils the others' answers."""

import asyncio
import json
import logging
import time
from collections.abc import Sequence

import httpx2

from ..jobs import describe
from .schemas import UpstreamAnswer, UpstreamFailure, UpstreamResult

logger = logging.getLogger(__name__)

# Each answer is held in memory until the response is sent: one upstream gone wrong must not
# be able to fill it.
MAX_BODY_BYTES = 1_000_000


async def fetch_all(
    client: httpx2.AsyncClient, urls: Sequence[str], time_limit: float
) -> list[UpstreamResult]:
    return list(await asyncio.gather(*(fetch(client, url, time_limit) for url in urls)))


async def fetch(client: httpx2.AsyncClient, url: str, time_limit: float) -> UpstreamResult:
    """GET one upstream; every way it can fail becomes an answer, never an exception."""
    started = time.perf_counter()

    def failure(error: str, status_code: int | None = None) -> UpstreamFailure:
        return UpstreamFailure(
            url=url, status_code=status_code, elapsed_ms=elapsed_ms(started), error=error
        )

    try:
        # The client's timeouts bound each read; this bounds the whole exchange, so an
        # upstream that trickles its answer byte by byte cannot hold the response either.
        async with asyncio.timeout(time_limit), client.stream("GET", url) as response:
            status = response.status_code
            if not response.is_success:
                return failure(f"HTTP {status} {response.reason_phrase}", status)
            body = await read_at_most(response, MAX_BODY_BYTES)
    except (TimeoutError, httpx2.TimeoutException):
        return failure(f"timed out after {time_limit:g}s")
    except httpx2.HTTPError as error:
        return failure(describe(error))
    if body is None:
        return failure(f"the response is longer than {MAX_BODY_BYTES} bytes", status)
    try:
        data = json.loads(body)
    except ValueError:
        return failure("the response is not JSON", status)
    return UpstreamAnswer(url=url, status_code=status, elapsed_ms=elapsed_ms(started), data=data)


async def read_at_most(response: httpx2.Response, limit: int) -> bytes | None:
    """The body, or None as soon as it turns out longer than `limit` bytes."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
