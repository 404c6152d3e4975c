"""fastapi-taskflow sending email, set up as its docs set it up for production.

The same TaskManager as taskflow_app.py (SQLite snapshots, requeue_pending=True), a task
with the documented retries, and aiosmtplib to the bench's SMTP server. At most
SMTP_MAX_CONNECTIONS messages are in flight at once, the bound the tracked service has,
so both have the same throughput and the same number of jobs left when they are stopped.
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
in_flight = asyncio.Semaphore(int(os.environ["SMTP_MAX_CONNECTIONS"]))

task_manager = TaskManager(snapshot_db=str(database), snapshot_interval=30.0, requeue_pending=True)
app = FastAPI()
TaskAdmin(app, task_manager, auto_install=True)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


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
