"""The report task: idempotent, so it is acknowledged late and safe to deliver twice."""

from celery import Celery, Task

from ..report_files import ReportFile, build_report
from .config import REPORT_TASK
from .settings import QueueSettings

# Errors worth another try after a pause: a REPORTS_DIR on network storage that hiccups.
TRANSIENT_ERRORS = (ConnectionError, TimeoutError)
MAX_RETRIES = 5
RETRY_BACKOFF_MAX = 60


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
    )
    def build(self: Task[[str, int], ReportFile], name: str, rows: int) -> ReportFile:
        task_id = self.request.id
        assert task_id is not None  # a task being executed always has an id
        return build_report(settings.reports_dir, name, rows, task_id)
