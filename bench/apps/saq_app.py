"""saq on Redis: POST /empty enqueues the no-op job, POST /email the email job (mail.py);
`saq saq_app.settings` runs them."""

import importlib
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from mail import send
from saq import Queue
from stamps import stamp

package = os.environ["BENCH_PACKAGE"]
EmailRequest: Any = importlib.import_module(f"{package}.email.schemas").EmailRequest

queue = Queue.from_url(os.environ["BENCH_REDIS_URL"])


async def nothing(_ctx: Any, *, subject: str, accepted: float) -> None:
    stamp(subject, accepted)


async def email(_ctx: Any, *, to: str, subject: str, body: str) -> None:
    await send(to, subject, body)


settings = {"queue": queue, "functions": [nothing, email]}


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    await queue.connect()
    try:
        yield
    finally:
        await queue.disconnect()


app = FastAPI(lifespan=lifespan)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/empty", status_code=202)
async def empty(body: EmailRequest) -> dict[str, str]:
    job = await queue.enqueue("nothing", subject=body.subject, accepted=time.time())
    assert job is not None  # None only for a duplicate key, and every job has its own
    return {"job_id": job.id}


@app.post("/email", status_code=202)
async def send_email(body: EmailRequest) -> dict[str, str]:
    job = await queue.enqueue("email", to=body.to, subject=body.subject, body=body.body)
    assert job is not None
    return {"job_id": job.id}
