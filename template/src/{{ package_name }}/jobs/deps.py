from typing import Annotated

from fastapi import Depends, Request

from .runner import JobRunner


def get_job_runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.jobs
    return runner


JobRunnerDep = Annotated[JobRunner, Depends(get_job_runner)]
