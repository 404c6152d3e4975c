"""Ask every upstream at once; a slow or broken one never spoils the others' answers."""

import asyncio
import logging
import time
from collections.abc import Sequence

import httpx2

from ..jobs.runner import JobResult, describe
from .schemas import UpstreamAnswer, UpstreamFailure, UpstreamResult

logger = logging.getLogger(__name__)


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
        async with asyncio.timeout(time_limit):
            response = await client.get(url)
    except (TimeoutError, httpx2.TimeoutException):
        return failure(f"timed out after {time_limit:g}s")
    except httpx2.HTTPError as error:
        return failure(describe(error))
    if not response.is_success:
        return failure(
            f"HTTP {response.status_code} {response.reason_phrase}", response.status_code
        )
    try:
        data = response.json()
    except ValueError:
        return failure("the response is not JSON", response.status_code)
    return UpstreamAnswer(
        url=url, status_code=response.status_code, elapsed_ms=elapsed_ms(started), data=data
    )


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


async def record_timings(results: Sequence[UpstreamResult]) -> JobResult:
    """The background job of GET /aggregate: log and keep each upstream's response time."""
    for result in results:
        outcome = "ok" if isinstance(result, UpstreamAnswer) else result.error
        logger.info("upstream %s took %.1f ms: %s", result.url, result.elapsed_ms, outcome)
    timings = [
        result.model_dump(include={"url", "ok", "status_code", "elapsed_ms"}) for result in results
    ]
    return {"timings": timings}
