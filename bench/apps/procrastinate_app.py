"""procrastinate on PostgreSQL: POST /empty defers the no-op job, POST /email the email job
(mail.py); its worker runs them.

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
from mail import send
from procrastinate import App, PsycopgConnector
from stamps import stamp

package = os.environ["BENCH_PACKAGE"]
EmailRequest: Any = importlib.import_module(f"{package}.email.schemas").EmailRequest

queue = App(connector=PsycopgConnector(conninfo=os.environ["BENCH_POSTGRES_URL"]))


@queue.task(name="nothing")
async def nothing(subject: str, accepted: float) -> None:
    stamp(subject, accepted)


@queue.task(name="email")
async def email(to: str, subject: str, body: str) -> None:
    await send(to, subject, body)


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


@app.post("/email", status_code=202)
async def send_email(body: EmailRequest) -> dict[str, str]:
    job_id = await email.defer_async(to=body.to, subject=body.subject, body=body.body)
    return {"job_id": str(job_id)}
