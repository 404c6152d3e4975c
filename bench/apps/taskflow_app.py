"""fastapi-taskflow, set up as its own docs set it up for production, running an empty job.

TaskManager with SQLite persistence (snapshot_db, snapshot_interval=30.0) and
requeue_pending=True; TaskAdmin(..., auto_install=True) so the route's BackgroundTasks is
taskflow's; the task has the documented retries=3, delay=1.0, backoff=2.0.
"""

import importlib
import os
from pathlib import Path
from typing import Any

from fastapi import BackgroundTasks, FastAPI
from fastapi_taskflow import TaskAdmin, TaskManager

package = os.environ["BENCH_PACKAGE"]
EmailRequest: Any = importlib.import_module(f"{package}.email.schemas").EmailRequest
database = Path(os.environ["JOBS_DB"]).with_name("taskflow.sqlite3")
database.parent.mkdir(parents=True, exist_ok=True)

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
