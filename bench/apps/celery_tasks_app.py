"""Celery on Redis with `acks_late`: POST /empty sends the no-op task, POST /email the email
task (mail.py); the worker runs them.

Worker: `celery -A celery_tasks_app.queue worker` (prefork). The endpoint is a `def`, as
FastAPI's docs advise for blocking calls: `.delay()` publishes synchronously, so FastAPI
runs it in its thread pool. No result backend: the task's id is all the 202 gives.
"""

import importlib
import os
import time
from typing import Any

from celery import Celery
from fastapi import FastAPI
from mail import send_blocking
from stamps import stamp

package = os.environ["BENCH_PACKAGE"]
EmailRequest: Any = importlib.import_module(f"{package}.email.schemas").EmailRequest

queue = Celery("bench", broker=os.environ["BENCH_REDIS_URL"])
queue.conf.task_acks_late = True
queue.conf.task_ignore_result = True


@queue.task(name="nothing")
def nothing(subject: str, accepted: float) -> None:
    stamp(subject, accepted)


@queue.task(name="email")
def email(to: str, subject: str, body: str) -> None:
    send_blocking(to, subject, body)


app = FastAPI()


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/empty", status_code=202)
def empty(body: EmailRequest) -> dict[str, str]:
    return {"job_id": nothing.delay(body.subject, time.time()).id}


@app.post("/email", status_code=202)
def send_email(body: EmailRequest) -> dict[str, str]:
    return {"job_id": email.delay(body.to, body.subject, body.body).id}
