"""The Celery configuration both sides use, and the names they share."""

from pathlib import Path
from typing import Any

from celery.app.backends import by_name

from ..logs import LOG_FORMAT
from .crontab import parse_schedule
from .settings import QueueSettings

REPORT_TASK = "reports.build"
"""The API sends the report task by this name; only the worker imports its code."""
PRUNE_REPORTS_TASK = "reports.prune"
"""The periodic task that deletes report files older than REPORTS_RETENTION_DAYS."""
CLEANUP_RESULTS_TASK = "celery.backend_cleanup"
"""Celery's own task deleting expired results; beat would otherwise run it daily at 4:00."""

ISSUED = "ISSUED"
"""Custom state the API stores for a task id before publishing it. Celery reads any
unknown id as PENDING, so PENDING alone cannot tell "queued" from "never issued"."""

HARD_LIMIT_GRACE = 30
RETRY_BACKOFF_MAX = 60
"""The longest pause before a report's next try (its message waits it unacknowledged)."""
VISIBILITY_MARGIN = 60
"""Seconds the derived visibility timeout adds for what a time limit does not bound: a pool
process being replaced before the report starts, a slow broker, clocks that differ."""
CLOCK_TOLERANCE = 5
"""Seconds by which the API's and the workers' clocks may differ (keep them in sync: NTP)."""
CONNECT_TIMEOUT = 1.0
SOCKET_TIMEOUT = 2.0
PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.25,
    "interval_max": 0.5,
}
"""A few quick tries to publish; the API answers 503 rather than waiting on a dead broker."""


def celery_config(settings: QueueSettings) -> dict[str, Any]:
    return {
        "broker_url": settings.broker_url,
        "result_backend": settings.result_backend,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "task_default_queue": settings.reports_queue,
        "task_track_started": True,
        "result_expires": settings.result_expires,
        "beat_schedule": beat_schedule(settings),
        "task_soft_time_limit": settings.report_time_limit,
        "task_time_limit": settings.report_time_limit + HARD_LIMIT_GRACE,
        "task_publish_retry_policy": PUBLISH_RETRY_POLICY,
        # Reports are long: a worker takes one at a time, leaving the rest to idle workers.
        "worker_prefetch_multiplier": 1,
        "worker_soft_shutdown_timeout": settings.worker_soft_shutdown_timeout,
        # A lost broker connection hands late-acknowledged tasks to another worker: stop ours
        # rather than run them twice (and Celery 5 warns on every outage until this is set).
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        # Replace pool processes now and then, so a slow leak in task code cannot grow forever.
        "worker_max_tasks_per_child": settings.worker_max_tasks_per_child,
        "worker_max_memory_per_child": settings.worker_max_memory_per_child,
        # Task events, so `celery events` and Flower show tasks without restarting workers
        # with -E; the API's "sent" event lets them show tasks still waiting in the queue.
        "worker_send_task_events": sends_events(settings),
        "task_send_sent_event": sends_events(settings),
        "worker_log_format": LOG_FORMAT,
        "worker_task_log_format": LOG_FORMAT,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": CONNECT_TIMEOUT,
        "broker_transport_options": transport_options(settings),
        "redis_socket_connect_timeout": CONNECT_TIMEOUT,
        "redis_socket_timeout": SOCKET_TIMEOUT,
    }


def sends_events(settings: QueueSettings) -> bool:
    """Events need a broker with fan-out (Redis, RabbitMQ), not the embedded SQLite one."""
    return broadcasts(settings)


def broadcasts(settings: QueueSettings) -> bool:
    """Whether the broker fans messages out to every worker (events, `inspect`): Redis and
    RabbitMQ do, the embedded SQLite one does not."""
    return not settings.broker_url.startswith("sqla+")


def beat_schedule(settings: QueueSettings) -> dict[str, dict[str, Any]]:
    """The periodic tasks `<slug> beat` sends, each only where it has something to do."""
    schedule: dict[str, dict[str, Any]] = {}
    if settings.reports_retention_days > 0:
        schedule[PRUNE_REPORTS_TASK] = {
            "task": PRUNE_REPORTS_TASK,
            "schedule": parse_schedule(settings.schedule_prune_reports),
        }
    scheme = settings.result_backend.partition("://")[0].partition("+")[0]  # db+sqlite -> db
    if not by_name(scheme).supports_autoexpire:  # Redis expires results itself; a database not
        schedule[CLEANUP_RESULTS_TASK] = {
            "task": CLEANUP_RESULTS_TASK,
            "schedule": parse_schedule(settings.schedule_cleanup_results),
        }
    return schedule


def transport_options(settings: QueueSettings) -> dict[str, Any]:
    """Options for the broker's transport (the SQLAlchemy one rejects unknown ones)."""
    if settings.broker_url.startswith(("amqp://", "amqps://", "pyamqp://")):
        # Publisher confirms: RabbitMQ acknowledges each task it has stored, so a 202 from
        # POST /reports means the task is in the queue, not somewhere in a socket buffer.
        return {"confirm_publish": True}
    if not settings.broker_url.startswith(("redis://", "rediss://")):
        return {}
    return {
        "visibility_timeout": visibility_timeout(settings),
        "socket_connect_timeout": CONNECT_TIMEOUT,
        "socket_timeout": SOCKET_TIMEOUT,
    }


def visibility_timeout(settings: QueueSettings) -> int:
    """BROKER_VISIBILITY_TIMEOUT, or, unset, the longest a live worker can hold a report's
    message unacknowledged (the longest retry pause, then the hard time limit) plus a margin.

    Redis delivers a message again once it has been unacknowledged this long, which is also how
    long a report whose worker was killed waits to run again: Redis cannot tell a dead worker
    from a slow one, so the timeout must outlast the slowest live one, and no more.
    """
    if settings.broker_visibility_timeout is not None:
        return settings.broker_visibility_timeout
    hard_limit = settings.report_time_limit + HARD_LIMIT_GRACE
    return RETRY_BACKOFF_MAX + hard_limit + VISIBILITY_MARGIN


def create_sqlite_dirs(settings: QueueSettings) -> None:
    """SQLite creates its file but not the folders above it (the embedded default's var/)."""
    for url in (settings.broker_url, settings.result_backend):
        scheme, _, path = url.partition(":///")
        if scheme.endswith("sqlite") and path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
