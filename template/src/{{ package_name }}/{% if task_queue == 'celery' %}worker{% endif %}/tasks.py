"""The report task (idempotent, so it is acknowledged late and safe to deliver twice) and the
periodic task that prunes old report files."""

import time

from celery import Celery, Task, states

from ..shared.report_files import ReportFile, build_report, prune_report_files
from .config import PRUNE_REPORTS_TASK, REPORT_TASK, RETRY_BACKOFF_MAX
from .settings import QueueSettings

# Errors worth another try after a pause: a REPORTS_DIR on network storage that hiccups.
TRANSIENT_ERRORS = (ConnectionError, TimeoutError)
MAX_RETRIES = 5
PROGRESS_SECONDS = 0.5


def register_tasks(app: Celery, settings: QueueSettings) -> None:
    @app.task(
        name=REPORT_TASK,
        shared=False,  # registered on this app only, however many apps a process builds
        bind=True,
        # Acknowledged only once built; a worker that dies mid-report (even its pool
        # process alone) leaves the message to be delivered again. Safe because the
        # same task id always writes the same file, atomically.
        acks_late=True,
        reject_on_worker_lost=True,
        autoretry_for=TRANSIENT_ERRORS,
        retry_backoff=True,
        retry_backoff_max=RETRY_BACKOFF_MAX,
        retry_jitter=True,
        max_retries=MAX_RETRIES,
        # STARTED is recorded below instead, with the start time: a report whose worker
        # vanished then reads interrupted once no worker could still be running it.
        track_started=False,
    )
    def build(self: Task[[str, int], ReportFile], name: str, rows: int) -> ReportFile:
        task_id = self.request.id
        assert task_id is not None  # a task being executed always has an id
        started = {"started_at": time.time(), "rows": rows}
        self.update_state(state=states.STARTED, meta=started)
        told_at = time.monotonic()

        def tell(done: int) -> None:
            """The rows written, in the STARTED state's metadata (at most every PROGRESS_SECONDS:
            each is a write to the result backend); the API copies them to the job's record."""
            nonlocal told_at
            if time.monotonic() - told_at >= PROGRESS_SECONDS:
                self.update_state(state=states.STARTED, meta={**started, "rows_done": done})
                told_at = time.monotonic()

        return build_report(settings.reports_dir, name, rows, task_id, tell)

    @app.task(name=PRUNE_REPORTS_TASK, shared=False)
    def prune_reports() -> int:
        """Delete report files older than REPORTS_RETENTION_DAYS; beat sends it."""
        return prune_report_files(settings.reports_dir, settings.reports_retention_days)
