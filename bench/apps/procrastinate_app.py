"""procrastinate on PostgreSQL: POST /empty defers the no-op job; its worker runs it.

Worker: `procrastinate --app=procrastinate_app.queue worker --concurrency N` (bench/phases/
job_systems.py starts it); the schema is applied with `procrastinate ... schema --apply`.
"""

import importlib
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from procrastinate import App, PsycopgConnector
from stamps import stamp

package = os.environ["BENCH_PACKAGE"]
EmailRequest: Any = importlib.import_module(f"{package}.email.schemas").EmailRequest

queue = App(connector=PsycopgConnector(conninfo=os.environ["BENCH_POSTGRES_URL"]))


@queue.task(name="nothing")
async def nothing(subject: str, accepted: float) -> None:
    stamp(subject, accepted)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    async with queue.open_async():
        yield


app = FastAPI(lifespan=lifespan)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/empty", status_code=202)
async def empty(body: EmailRequest) -> dict[str, str]:
    job_id = await nothing.defer_async(subject=body.subject, accepted=time.time())
    return {"job_id": str(job_id)}
