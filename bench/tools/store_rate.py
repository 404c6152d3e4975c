"""Jobs recorded, run and finished per second through the tracked runner's own Python API.

Run by bench/phases/job_systems.py in the generated project's venv, without HTTP:
    python store_rate.py JOBS CONCURRENCY OUT_JSON
The store is the project's settings' (JOBS_DB, or JOBS_DATABASE_URL on PostgreSQL). Waves of
CONCURRENCY jobs, as that many requests would schedule them: each scheduled on its own
BackgroundTasks (recorded `queued`), then all of the wave's tasks run (each job recorded
`running` and `succeeded`). Every import of the generated package is in this file.
"""

import asyncio
import importlib
import json
import os
import sys
import time
from typing import Any

from fastapi import BackgroundTasks

package = os.environ["BENCH_PACKAGE"]
create_app = importlib.import_module(f"{package}.app").create_app
JobKind: Any = importlib.import_module(f"{package}.jobs").JobKind


async def nothing(_app: Any, _arguments: Any) -> None:
    return None


KIND = JobKind("store_rate", nothing, idempotent=True)


async def main() -> None:
    jobs, concurrency, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    app = create_app()
    app.state.job_kinds.append(KIND)
    async with app.router.lifespan_context(app):
        runner = app.state.jobs
        started = time.perf_counter()
        for first in range(0, jobs, concurrency):
            wave = [BackgroundTasks() for _ in range(min(concurrency, jobs - first))]
            await asyncio.gather(*(runner.schedule(tasks, KIND) for tasks in wave))
            await asyncio.gather(*(tasks() for tasks in wave))
        seconds = time.perf_counter() - started
    with open(out, "w", encoding="utf-8") as file:
        json.dump({"jobs": jobs, "seconds": seconds}, file)


if __name__ == "__main__":
    asyncio.run(main())
