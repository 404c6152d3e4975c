from typing import Annotated

from fastapi import Depends, Request

from .runner import JobRunner


# async: a plain `def` dependency would cost every request a trip through the thread pool.
async def get_job_runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.jobs
    return runner


JobRunnerDep = Annotated[JobRunner, Depends(get_job_runner)]
