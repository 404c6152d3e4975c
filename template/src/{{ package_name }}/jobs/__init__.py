"""Tracked background jobs: every job kind of this service goes through the runner.

This module is the face of `jobs`: the rest of the service (the features, the CLI, the app)
imports from here, never from the folders below. Those are layers, each importing only the ones
under it:

- `http`: the FastAPI glue: the `/jobs` endpoints, the dependencies of the endpoints that start
  jobs, the features that open the store with the app and prune it;
- `runtime`: running jobs: kinds, the runner, retries, progress, leases, the prune, maintenance;
- `store`: the database and its engine, the schema and its migrations, the job records, the
  statements, the batched writer and `JobStore`.

`settings.py` (JOBS_*) sits beside them. One face, FastAPI's names included: a Celery worker
never imports `jobs`, so nothing it imports reaches FastAPI through here. The import contract
in pyproject.toml ([tool.importlinter], run by `lint-imports`) checks these rules.
"""

from .http.deps import IdempotencyDep, JobRunnerDep
from .http.jobs_feature import feature
from .http.retention_feature import feature as retention_feature
from .http.router import router as jobs_router
from .runtime import maintenance
from .runtime.background import in_background
from .runtime.backlog import BacklogFullError
from .runtime.bulk_retry import BulkRetry, retry_matching_offline
from .runtime.cancelling import JobNotCancellableError, cancel_offline
from .runtime.counts import CountedJobs, JobCounts, job_counts
from .runtime.events import JobEvent, JobObserver
from .runtime.idempotency import Idempotency, IdempotencyKeyReusedError, canonical
from .runtime.kinds import Arguments, JobKind, JobResult
from .runtime.manual_retry import JobNotRetryableError, RetryNotConfirmedError, retried_already
from .runtime.outcomes import OutcomeLog
from .runtime.progress import point_of_no_return, progress_reporter, report_progress
from .runtime.recovery import ABANDONED
from .runtime.retention import prune
from .runtime.retry_policy import NO_RETRY, RetryPolicy, backoff
from .runtime.runner import LOGGERS as RUNNER_LOGGERS
from .runtime.runner import JobRunner
from .settings import JobsSettings
from .store.activity import JobCount, MinuteCount, count_finished_per_minute
from .store.chosen_engine import StoreSettings, open_database
from .store.database import Connection, Database, PruneTable
from .store.errors import (
    JobLostError,
    JobStoreUnavailableError,
    LeaseLostError,
    OutcomeUnknownError,
    describe,
)
from .store.job_store import WRITE_DEADLINE, JobStore
from .store.queries import (
    NEWEST_FIRST,
    SELECT_RECORDS,
    STILL_UNFINISHED,
    UNFINISHED_VALUES,
    insert_job,
    now,
    row_to_record,
    select_job,
    select_jobs,
    to_json,
)
from .store.records import (
    CELERY_OWNER,
    FINISHED,
    Claim,
    Job,
    JobRecord,
    JobStatus,
    NewJob,
    RecordedBefore,
    new_job_id,
)

__all__ = [
    "ABANDONED",
    "CELERY_OWNER",
    "FINISHED",
    "NEWEST_FIRST",
    "NO_RETRY",
    "RUNNER_LOGGERS",
    "SELECT_RECORDS",
    "STILL_UNFINISHED",
    "UNFINISHED_VALUES",
    "WRITE_DEADLINE",
    "Arguments",
    "BacklogFullError",
    "BulkRetry",
    "Claim",
    "Connection",
    "CountedJobs",
    "Database",
    "Idempotency",
    "IdempotencyDep",
    "IdempotencyKeyReusedError",
    "Job",
    "JobCount",
    "JobCounts",
    "JobEvent",
    "JobKind",
    "JobLostError",
    "JobNotCancellableError",
    "JobNotRetryableError",
    "JobObserver",
    "JobRecord",
    "JobResult",
    "JobRunner",
    "JobRunnerDep",
    "JobStatus",
    "JobStore",
    "JobStoreUnavailableError",
    "JobsSettings",
    "LeaseLostError",
    "MinuteCount",
    "NewJob",
    "OutcomeLog",
    "OutcomeUnknownError",
    "PruneTable",
    "RecordedBefore",
    "RetryNotConfirmedError",
    "RetryPolicy",
    "StoreSettings",
    "backoff",
    "cancel_offline",
    "canonical",
    "count_finished_per_minute",
    "describe",
    "feature",
    "in_background",
    "insert_job",
    "job_counts",
    "jobs_router",
    "maintenance",
    "new_job_id",
    "now",
    "open_database",
    "point_of_no_return",
    "progress_reporter",
    "prune",
    "report_progress",
    "retention_feature",
    "retried_already",
    "retry_matching_offline",
    "row_to_record",
    "select_job",
    "select_jobs",
    "to_json",
]
