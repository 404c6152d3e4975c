"""The Celery configuration both sides use, and the names they share."""

from pathlib import Path
from typing import Any

from ..logs import LOG_FORMAT
from .settings import QueueSettings

REPORT_TASK = "reports.build"
"""The API sends the report task by this name; only the worker imports its code."""

ISSUED = "ISSUED"
"""Custom state the API stores for a task id before publishing it. Celery reads any
unknown id as PENDING, so PENDING alone cannot tell "queued" from "never issued"."""

HARD_LIMIT_GRACE = 30
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
        "task_soft_time_limit": settings.report_time_limit,
        "task_time_limit": settings.report_time_limit + HARD_LIMIT_GRACE,
        "task_publish_retry_policy": PUBLISH_RETRY_POLICY,
        # Reports are long: a worker takes one at a time, leaving the rest to idle workers.
        "worker_prefetch_multiplier": 1,
        "worker_soft_shutdown_timeout": settings.worker_soft_shutdown_timeout,
        "worker_log_format": LOG_FORMAT,
        "worker_task_log_format": LOG_FORMAT,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": CONNECT_TIMEOUT,
        "broker_transport_options": transport_options(settings),
        "redis_socket_connect_timeout": CONNECT_TIMEOUT,
        "redis_socket_timeout": SOCKET_TIMEOUT,
    }


def transport_options(settings: QueueSettings) -> dict[str, Any]:
    """Options only Redis understands (the SQLAlchemy transport rejects unknown ones)."""
    if not settings.broker_url.startswith(("redis://", "rediss://")):
        return {}
    return {
        "visibility_timeout": settings.broker_visibility_timeout,
        "socket_connect_timeout": CONNECT_TIMEOUT,
        "socket_timeout": SOCKET_TIMEOUT,
    }


def create_sqlite_dirs(settings: QueueSettings) -> None:
    """SQLite creates its file but not the folders above it (the embedded default's var/)."""
    for url in (settings.broker_url, settings.result_backend):
        scheme, _, path = url.partition(":///")
        if scheme.endswith("sqlite") and path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
