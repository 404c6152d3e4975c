"""What the runner tells observers (metrics, traces, error reporting) about each job.

An observer is attached at startup (`runner.observers.append(...)`) by the feature that
needs it. Its methods run on the event loop, inline: they must be quick and must not raise.
"""

from dataclasses import dataclass
from typing import Protocol

from ..store.records import JobStatus


@dataclass(frozen=True, slots=True)
class JobEvent:
    job_id: str
    kind: str
    request_id: str | None


class JobObserver(Protocol):
    def accepted(self, job: JobEvent) -> None:
        """Recorded `queued`, before the response that scheduled it."""

    def started(self, job: JobEvent, attempt: int) -> None:
        """An attempt begins (attempt 1, then one per retry)."""

    def retrying(self, job: JobEvent, attempt: int, error: Exception) -> None:
        """The attempt failed with a transient error; another follows."""

    def finished(
        self, job: JobEvent, status: JobStatus, seconds: float, error: Exception | None
    ) -> None:
        """The job ended with `status` (any of FINISHED); `seconds` since it started."""
