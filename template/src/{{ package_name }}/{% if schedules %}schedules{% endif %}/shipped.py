"""The schedules this service ships: each one only with the feature it serves."""

from fastapi import FastAPI

from ..jobs import retention
from ..jobs.runner import JobResult, JobRunner
from .scheduler import Schedule
from .settings import SchedulesSettings
from .timing import parse_timing


async def prune_jobs(app: FastAPI) -> JobResult:
    """Delete finished job records older than JOBS_RETENTION_DAYS (0 keeps them all)."""
    days: float = app.state.settings.jobs_retention_days
    if days == 0:
        return {"deleted": 0, "kept": "JOBS_RETENTION_DAYS=0 keeps every record"}
    runner: JobRunner = app.state.jobs
    return {"deleted": await retention.prune(runner.store, days)}


def shipped_schedules(settings: SchedulesSettings) -> list[Schedule]:
    return [Schedule("prune_jobs", parse_timing(settings.schedule_prune_jobs), prune_jobs)]
