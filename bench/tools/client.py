"""An async HTTP client for the bench phases that need each response, not only a rate.

Run by bench/run.py in the generated project's environment (httpx2 is a dependency there):
    python bench/client.py BASE_URL PATH COUNT CONCURRENCY BODY_TEMPLATE OUT_JSON
BODY_TEMPLATE is JSON text in which every "{i}" becomes the request's number. OUT_JSON gets
one entry per request: [i, status, seconds, response body].
"""

import asyncio
import json
import sys
import time
from typing import Any

import httpx2


async def main() -> None:
    base_url, path, count, concurrency, template, out = sys.argv[1:7]
    results: list[list[Any]] = []
    numbers = iter(range(int(count)))
    limits = httpx2.Limits(max_connections=int(concurrency))
    async with httpx2.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:

        async def worker() -> None:
            for i in numbers:
                body = template.replace("{i}", str(i))
                started = time.perf_counter()
                response = await client.post(path, content=body, headers=HEADERS)
                elapsed = time.perf_counter() - started
                results.append([i, response.status_code, elapsed, response.json()])

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(int(concurrency))))
        wall = time.perf_counter() - started
    with open(out, "w", encoding="utf-8") as file:
        json.dump({"wall_seconds": wall, "results": results}, file)


HEADERS = {"Content-Type": "application/json"}

if __name__ == "__main__":
    asyncio.run(main())
