"""What a job record holds."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)
FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.INTERRUPTED)


class Job(BaseModel):
    id: str
    kind: str
    status: JobStatus
    attempts: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    owner: str | None = None
    """The service process that accepted the job (host:pid:id), while its record says so."""


class JobRecord(Job):
    """A job as stored, with what its work returned (kept out of the public job view)."""

    result: dict[str, Any] | None = None
