"""The generated service, plus POST /job-only: a tracked job whose work is empty.

Run by bench/run.py in the generated project's environment. POST /job-only validates the
same body as POST /emails, records a job `queued` before its 202 and runs it after the
response, through the project's own JobRunner; the job's work is empty: the job machinery
alone. POST /files and POST /emails are the service's own.
"""

import importlib
import os
from typing import Any

from fastapi import BackgroundTasks

package = os.environ["BENCH_PACKAGE"]
create_app = importlib.import_module(f"{package}.app").create_app
JobRunnerDep: Any = importlib.import_module(f"{package}.jobs.deps").JobRunnerDep
JobKind: Any = importlib.import_module(f"{package}.jobs.kinds").JobKind
EmailRequest: Any = importlib.import_module(f"{package}.email.schemas").EmailRequest


async def nothing(_app: Any, _arguments: Any) -> None:
    return None


JOB_ONLY = JobKind("job_only", nothing, idempotent=True)
app = create_app()
app.state.job_kinds.append(JOB_ONLY)  # registered like a feature's kinds, before start-up


@app.post("/job-only", status_code=202)
async def job_only(
    body: EmailRequest, tasks: BackgroundTasks, jobs: JobRunnerDep
) -> dict[str, str]:
    return {"job_id": await jobs.schedule(tasks, JOB_ONLY)}
