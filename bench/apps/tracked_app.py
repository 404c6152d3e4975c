"""The generated service, plus POST /job-only: a tracked job whose work is empty.

Run by bench/run.py in the generated project's environment. POST /job-only validates the
same body as POST /emails, records a job `queued` before its 202 and runs it after the
response, through the project's own JobRunner; the job's work is empty: the job machinery
alone. It is the first route matched, as the plain app's /empty is in its three: how many
routes an app has is not the job machinery's cost (FastAPI matches included routers one
by one). POST /files and POST /emails are the service's own, where the service has them.
POST /job-stamped (the job-systems phase) is POST /job-only whose job appends its stamp
(stamps.py), as every job system's no-op job does there.

With BENCH_WITHOUT_OBSERVABILITY=1 the app runs without what observability adds to every
request and job (the metrics middleware and job observer, the X-Request-ID middleware):
the bench compares the two to price them.
"""

import importlib
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import BackgroundTasks, FastAPI
from stamps import stamp

package = os.environ["BENCH_PACKAGE"]
create_app = importlib.import_module(f"{package}.app").create_app
jobs_package: Any = importlib.import_module(f"{package}.jobs")
JobRunnerDep: Any = jobs_package.JobRunnerDep
JobKind: Any = jobs_package.JobKind
RequestIdMiddleware: Any = importlib.import_module(f"{package}.request_ids").RequestIdMiddleware
HttpMetricsMiddleware: Any = importlib.import_module(
    f"{package}.metrics.middleware"
).HttpMetricsMiddleware
EmailRequest: Any = importlib.import_module(f"{package}.email.schemas").EmailRequest


async def nothing(_app: Any, _arguments: Any) -> None:
    return None


async def stamped(_app: Any, arguments: Any) -> None:
    stamp(arguments["subject"], arguments["accepted"])


JOB_ONLY = JobKind("job_only", nothing, idempotent=True)
JOB_STAMPED = JobKind("job_stamped", stamped, idempotent=True)
app = create_app()
app.state.job_kinds += [JOB_ONLY, JOB_STAMPED]  # registered like a feature's, before start-up


@app.post("/job-only", status_code=202)
async def job_only(
    body: EmailRequest, tasks: BackgroundTasks, jobs: JobRunnerDep
) -> dict[str, str]:
    return {"job_id": await jobs.schedule(tasks, JOB_ONLY)}


@app.post("/job-stamped", status_code=202)
async def job_stamped(
    body: EmailRequest, tasks: BackgroundTasks, jobs: JobRunnerDep
) -> dict[str, str]:
    arguments = {"subject": body.subject, "accepted": time.time()}
    return {"job_id": await jobs.schedule(tasks, JOB_STAMPED, arguments)}


for _ in range(2):  # both matched first (see above)
    app.router.routes.insert(0, app.router.routes.pop())
service_lifespan = app.router.lifespan_context


@asynccontextmanager
async def without_observers(app: FastAPI) -> AsyncIterator[Any]:
    """The service's own start-up, then its job observers (metrics) and store hook let go."""
    async with service_lifespan(app) as state:
        app.state.jobs.observers.clear()
        app.state.jobs.store.writer.on_commit = None
        yield state


if os.environ.get("BENCH_WITHOUT_OBSERVABILITY"):
    middleware = {RequestIdMiddleware, HttpMetricsMiddleware}
    app.user_middleware = [entry for entry in app.user_middleware if entry.cls not in middleware]
    app.router.lifespan_context = without_observers
