"""fastapi-taskflow, set up as its own docs set it up for production.

TaskManager with SQLite persistence (snapshot_db, snapshot_interval=30.0) and
requeue_pending=True; TaskAdmin(..., auto_install=True) so the route's BackgroundTasks is
taskflow's; the tasks have the documented retries=3, delay=1.0, backoff=2.0.

POST /empty runs an empty job (the peers phase). POST /emails sends through aiosmtplib to
the bench's SMTP server (the crash phase), at most SMTP_MAX_CONNECTIONS at once: the bound
the tracked service has, so both have the same jobs left when they are stopped.
"""

import asyncio
import importlib
import os
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
from fastapi import BackgroundTasks, FastAPI
from fastapi_taskflow import TaskAdmin, TaskManager

package = os.environ["BENCH_PACKAGE"]
EmailRequest: Any = importlib.import_module(f"{package}.email.schemas").EmailRequest
database = Path(os.environ["JOBS_DB"]).with_name("taskflow.sqlite3")
database.parent.mkdir(parents=True, exist_ok=True)
in_flight = asyncio.Semaphore(int(os.environ.get("SMTP_MAX_CONNECTIONS", "10")))

task_manager = TaskManager(snapshot_db=str(database), snapshot_interval=30.0, requeue_pending=True)
app = FastAPI()
TaskAdmin(app, task_manager, auto_install=True)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@task_manager.task(retries=3, delay=1.0, backoff=2.0)
async def nothing() -> None:
    return None


@app.post("/empty", status_code=202)
async def empty(body: EmailRequest, background_tasks: BackgroundTasks) -> dict[str, Any]:
    task_id = background_tasks.add_task(nothing)
    return {"job_id": task_id}


@task_manager.task(retries=3, delay=1.0, backoff=2.0)
async def send(to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "noreply@example.com", to, subject
    message.set_content(body)
    async with in_flight:
        await aiosmtplib.send(
            message, hostname=os.environ["SMTP_HOST"], port=int(os.environ["SMTP_PORT"])
        )


@app.post("/emails", status_code=202)
async def send_email(body: EmailRequest, background_tasks: BackgroundTasks) -> dict[str, Any]:
    task_id = background_tasks.add_task(send, body.to, body.subject, body.body)
    return {"job_id": task_id}
