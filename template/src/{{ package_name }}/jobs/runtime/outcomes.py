"""One INFO line per finished job: how each request's jobs ended, failures and successes alike.

The runner logs a failure or a retry, never a success; with this line a log search for a
request id finds its jobs' outcomes too. JOBS_LOG_OUTCOMES=false drops it (a service with many
small jobs may prefer its metrics).
"""

import logging

from ..store.records import JobStatus
from .events import JobEvent

logger = logging.getLogger(__name__)


class OutcomeLog:
    """The runner's JobObserver that logs each job's end: kind, id, status, seconds."""

    def accepted(self, job: JobEvent) -> None:
        pass

    def started(self, job: JobEvent, attempt: int) -> None:
        pass

    def retrying(self, job: JobEvent, attempt: int, error: Exception) -> None:
        pass

    def finished(
        self, job: JobEvent, status: JobStatus, seconds: float, error: Exception | None
    ) -> None:
        fields = {
            "job_id": job.job_id,
            "kind": job.kind,
            "status": status.value,
            "duration_seconds": round(seconds, 3),
            "request_id": job.request_id,
        }
        logger.info(
            "job %s (%s) %s in %.3fs",
            *(job.job_id, job.kind, status.value, seconds),
            extra={"fields": fields},
        )
