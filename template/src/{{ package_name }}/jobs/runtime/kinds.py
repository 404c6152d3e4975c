"""Job kinds: what a job does, by name, so a stored job can be run again from its record.

A job's record holds its kind and its arguments (JSON, never a secret: settings and
resources are read from the app when the job runs). Any process that knows the kind
can then run it: the one that accepted it, or another one after that one stopped.
"""

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from .retry_policy import NO_RETRY, RetryPolicy

Arguments = Mapping[str, Any]
"""A job's arguments as stored: JSON-serialisable."""
JobResult = dict[str, Any] | None
JobFunction = Callable[[FastAPI, Arguments], Awaitable[JobResult]]
RetryFor = Callable[[FastAPI], RetryPolicy]
ConcurrencyFor = Callable[[FastAPI], int]
"""How many jobs of a kind run at once in one process, from the app's settings."""


def no_retry(_: FastAPI) -> RetryPolicy:
    return NO_RETRY


@dataclass(frozen=True)
class JobKind:
    name: str
    run: JobFunction
    idempotent: bool
    """Safe to run again after being cut off mid-run (same outcome, nothing sent twice).

    A job that never started is always run again when its process stops; one cut off
    mid-run is run again only when its kind says so, and is recorded `interrupted` otherwise.
    """
    retry: RetryFor = no_retry
    """The retry policy for transient failures, from the app's settings."""
    marks_point_of_no_return: bool = False
    """Not idempotent, and its work calls `progress.point_of_no_return()` before the step
    that cannot be undone; until then a shutdown or a crash gives the job back."""
    cannot_undo: str = "what it does cannot be undone"
    """Why a running job of a kind not idempotent is not cancelled (POST /jobs/{id}/cancel)."""
    priority: int = 0
    """Its jobs' priority unless scheduled with another: higher ones are claimed first."""
    concurrency: ConcurrencyFor | None = None
    """Its own limit of jobs at once (the resource it uses: SMTP sessions, processes);
    None for the global cap alone. `JOBS_KIND_CONCURRENCY` overrides it by name."""
    host_local: bool = False
    """Its output goes to this host's disk (FILES_DIR, the audit log): taken over by another
    host only when `JOBS_SHARED_DISK` says every host sees the same directories."""


def registry(kinds: Iterable[JobKind]) -> dict[str, JobKind]:
    """Kinds by name; a name given twice is a programming error, caught at startup."""
    by_name: dict[str, JobKind] = {}
    for kind in kinds:
        if kind.name in by_name:
            raise ValueError(f"two job kinds are named {kind.name!r}")
        by_name[kind.name] = kind
    return by_name
