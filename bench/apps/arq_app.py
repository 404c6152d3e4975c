"""arq on Redis: POST /empty enqueues the no-op job, POST /email the email job (mail.py);
`arq arq_app.WorkerSettings` runs them."""

import importlib
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar

from arq import create_pool
from arq.connections import RedisSettings
from fastapi import FastAPI, Request
from mail import send
from stamps import stamp

package = os.environ["BENCH_PACKAGE"]
EmailRequest: Any = importlib.import_module(f"{package}.email.schemas").EmailRequest
REDIS = RedisSettings.from_dsn(os.environ["BENCH_REDIS_URL"])


async def nothing(_ctx: Any, subject: str, accepted: float) -> None:
    stamp(subject, accepted)


async def email(_ctx: Any, to: str, subject: str, body: str) -> None:
    await send(to, subject, body)


class WorkerSettings:
    functions: ClassVar = [nothing, email]
    redis_settings = REDIS


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await create_pool(REDIS)
    try:
        yield
    finally:
        await app.state.pool.aclose()


app = FastAPI(lifespan=lifespan)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/empty", status_code=202)
async def empty(body: EmailRequest, request: Request) -> dict[str, str]:
    job = await request.app.state.pool.enqueue_job("nothing", body.subject, time.time())
    return {"job_id": job.job_id}


@app.post("/email", status_code=202)
async def send_email(body: EmailRequest, request: Request) -> dict[str, str]:
    job = await request.app.state.pool.enqueue_job("email", body.to, body.subject, body.body)
    return {"job_id": job.job_id}
