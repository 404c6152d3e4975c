from ..jobs import JobEvent, JobStatus
from .instruments import Metrics


class JobMetrics:
    """The runner's JobObserver that counts and times jobs."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self._running: set[str] = set()
        """Jobs counted in jobs_in_progress: started once, not yet finished."""

    def accepted(self, job: JobEvent) -> None:
        self.metrics.jobs_accepted.labels(job.kind).inc()

    def started(self, job: JobEvent, attempt: int) -> None:
        if job.job_id not in self._running:
            self._running.add(job.job_id)
            self.metrics.jobs_in_progress.labels(job.kind).inc()

    def retrying(self, job: JobEvent, attempt: int, error: Exception) -> None:
        self.metrics.jobs_retries.labels(job.kind).inc()

    def finished(
        self, job: JobEvent, status: JobStatus, seconds: float, error: Exception | None
    ) -> None:
        self.metrics.jobs_finished.labels(job.kind, status.value).inc()
        if job.job_id in self._running:  # one interrupted before it started never ran
            self._running.discard(job.job_id)
            self.metrics.jobs_in_progress.labels(job.kind).dec()
            self.metrics.job_duration.labels(job.kind).observe(seconds)
