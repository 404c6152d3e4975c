"""Dashboard tabs for the bench: each polls the jobs list the way dashboard.js does.

Run by bench/phases/dashboard.py in the generated project's environment (httpx2 is there):
    python tabs.py BASE_URL PATH TABS SECONDS OUT_JSON
Each tab: GET PATH with the last answer's ETag in If-None-Match, then waits a second after
the answer (never two requests of one tab at once), until SECONDS have passed. Prints one
line once every tab has its first answer; OUT_JSON gets [status, seconds, bytes] per poll.
"""

import asyncio
import json
import sys
import time
from typing import Any

import httpx2

POLL_SECONDS = 1.0


async def main() -> None:
    base_url, path, tabs, seconds, out = sys.argv[1:6]
    results: list[list[Any]] = []
    first_answers = 0
    limits = httpx2.Limits(max_connections=int(tabs))
    async with httpx2.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        deadline = time.monotonic() + float(seconds)

        async def tab() -> None:
            nonlocal first_answers
            tag: str | None = None
            while time.monotonic() < deadline:
                headers = {"Accept": "application/json"}
                if tag is not None:
                    headers["If-None-Match"] = tag
                started = time.perf_counter()
                response = await client.get(path, headers=headers)
                elapsed = time.perf_counter() - started
                results.append([response.status_code, elapsed, len(response.content)])
                if response.status_code == 200:
                    if tag is None:
                        first_answers += 1
                        if first_answers == int(tabs):
                            print("ready", flush=True)
                    tag = response.headers.get("etag")
                await asyncio.sleep(POLL_SECONDS)

        await asyncio.gather(*(tab() for _ in range(int(tabs))))
    with open(out, "w", encoding="utf-8") as file:
        json.dump({"results": results}, file)


if __name__ == "__main__":
    asyncio.run(main())
