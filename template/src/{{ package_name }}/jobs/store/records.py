"""What a job record holds."""

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel


def new_job_id() -> str:
    """32 hex digits, time-ordered as UUIDv7 is: the millisecond, then 80 random bits.

    New ids land at the end of the jobs table's indexes instead of at random places in
    them, which makes recording a job markedly cheaper as the table grows (bench/notes.md);
    80 random bits keep them unguessable.
    """
    return f"{time.time_ns() // 1_000_000:012x}{os.urandom(10).hex()}"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    UNCERTAIN = "uncertain"
    """Failed after its work may have taken effect (sent, then no answer): a person decides."""
    CANCELLED = "cancelled"
    """Cancelled on request before it ran, or while it ran (its task or its process ended)."""
    DEAD = "dead"
    """Its process died while it ran, JOBS_MAX_RECOVERIES times: not recovered again."""


UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)
FINISHED = (
    JobStatus.SUCCEEDED,
    JobStatus.FAILED,
    JobStatus.INTERRUPTED,
    JobStatus.UNCERTAIN,
    JobStatus.CANCELLED,
    JobStatus.DEAD,
)
RETRYABLE = (JobStatus.FAILED, JobStatus.INTERRUPTED, JobStatus.DEAD)
"""Retried by hand on request; an `uncertain` job only when the request confirms it."""
CELERY_OWNER = "celery"
"""The owner of the jobs Celery's workers run: no process of this service runs, claims or
interrupts them; their records follow what the result backend says of their tasks."""


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
    """The service process that runs the job (host:pid:id), while its record says so."""
    request_id: str | None = None
    """The X-Request-ID of the request that scheduled it."""
    retry_of: str | None = None
    """The job this one retries, when it was retried by hand."""
    priority: int = 0
    """Higher ones are claimed first from their kind's backlog."""
    run_at: datetime | None = None
    """While it waits in the store: not before this time (now, for one waiting for a slot)."""
    progress_done: int | None = None
    """How far the job had got when it last said (`report_progress`), of `progress_total`."""
    progress_total: int | None = None
    recoveries: int = 0
    """How many times another process took it over after its own died while it ran; at
    JOBS_MAX_RECOVERIES it is recorded `dead` instead."""
    cancel_requested_at: datetime | None = None
    """When a cancel was asked of it while it ran (its owner cancels it within a second)."""


class JobRecord(Job):
    """A job as stored: with what it runs with and what its work returned (GET /jobs/{job_id})."""

    result: dict[str, Any] | None = None
    arguments: dict[str, Any] | None = None
    """What the job runs with; None for jobs recorded before arguments were stored."""


@dataclass(frozen=True, slots=True)
class NewJob:
    """A job about to be recorded `queued`."""

    id: str
    kind: str
    arguments: Mapping[str, Any]
    request_id: str | None = None
    idempotency_key: str | None = None
    request_fingerprint: str | None = None
    retry_of: str | None = None
    priority: int = 0
    run_at: datetime | None = None
    """Set for a job that waits in the store (no slot free, or delayed); None for one that
    runs at once."""


@dataclass(frozen=True, slots=True)
class RecordedBefore:
    """The job that already holds a new job's idempotency key, or already retries its job."""

    id: str
    request_fingerprint: str | None


@dataclass(frozen=True, slots=True)
class Claim:
    """Who may change a job's record: its owner, at the epoch it took the job.

    Every write of a job's record is conditioned on both. The owner names a process's
    identity (a new one after it lost its lease); the epoch goes up at every takeover, so
    even a write of the same owner from before a takeover lands nowhere.
    """

    owner: str
    epoch: int = 0


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """A job this process has taken over to run again under the same id."""

    id: str
    kind: str
    arguments: dict[str, Any]
    request_id: str | None
    attempts: int
    claim: Claim
    retry_of: str | None = None
    """The job this one retries, when it was retried by hand."""


@dataclass(frozen=True, slots=True)
class TakenOver:
    """A job of a stopped process that this one has taken into its backlog (no arguments:
    they stay in the store until a slot frees)."""

    id: str
    kind: str
    attempts: int
    claim: Claim
    retry_of: str | None = None
