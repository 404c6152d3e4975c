"""Settings the API and the worker share: where the queue is, and how reports run on it."""

from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from ..env_file import EnvFileSettings
from ..logs import LogSettings
from .crontab import parse_schedule


class QueueSettings(EnvFileSettings, LogSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    reports_dir: Path = Path("var/reports")
    broker_url: str = "sqla+sqlite:///var/celery-broker.sqlite3"
    """Default: an embedded broker in a SQLite file, so serve + worker need no server."""
    result_backend: str = "db+sqlite:///var/celery-results.sqlite3"
    reports_queue: str = "reports"
    """The queue report tasks go to and workers take them from (several services can share
    one broker, each with its own queue)."""
    result_expires: int = Field(default=86_400, ge=1)
    """Seconds a report is known after it was issued; after that its id reads as unknown
    and a worker that has not started it yet discards it."""
    report_time_limit: int = Field(default=300, ge=1)
    """Seconds a report may run before it is stopped (soft limit; hard limit 30 s later)."""
    broker_visibility_timeout: int | None = Field(default=None, ge=1)
    """Redis only: seconds before a task whose worker vanished is delivered again. Unset:
    derived from REPORT_TIME_LIMIT (`config.visibility_timeout`, 450 s for 300 s). Must be
    above REPORT_TIME_LIMIT, or a report still running is delivered twice."""
    worker_soft_shutdown_timeout: float = Field(default=30.0, ge=0)
    """On SIGTERM, seconds the worker's running tasks get before they are requeued."""
    worker_max_tasks_per_child: int | None = Field(default=100, ge=1)
    """A pool process is replaced after this many tasks (bounds slow leaks); None: never."""
    worker_max_memory_per_child: int | None = Field(default=None, ge=1)
    """KiB of resident memory after which a pool process is replaced once its task is done."""
    reports_retention_days: float = Field(default=30.0, ge=0)
    """Report files older than this many days are deleted by the periodic task; 0 keeps them."""
    schedule_prune_reports: str = "30 3 * * *"
    """When beat prunes report files: a 5-field cron expression (UTC) or seconds between runs."""
    schedule_cleanup_results: str = "0 * * * *"
    """When beat deletes expired results from a database result backend (cron or seconds)."""
    flower_basic_auth: SecretStr | None = None
    """`user:password` (several: comma-separated) for `<slug> flower`, which refuses to start
    without it: Flower's UI and API can revoke and kill tasks and shut workers down."""

    @field_validator("schedule_prune_reports", "schedule_cleanup_results")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        parse_schedule(value)
        return value

    @field_validator("flower_basic_auth")
    @classmethod
    def _unset_if_empty(cls, value: SecretStr | None) -> SecretStr | None:
        """`FLOWER_BASIC_AUTH=` is unset (its format is checked by `<slug> flower`, whose
        message, unlike a validation error's, does not echo the password)."""
        return value if value is not None and value.get_secret_value() else None

    @model_validator(mode="after")
    def _visibility_above_time_limit(self) -> Self:
        if (
            self.broker_url.startswith(("redis://", "rediss://"))
            and self.broker_visibility_timeout is not None
            and self.broker_visibility_timeout <= self.report_time_limit
        ):
            raise ValueError(
                f"BROKER_VISIBILITY_TIMEOUT ({self.broker_visibility_timeout}) must be above "
                f"REPORT_TIME_LIMIT ({self.report_time_limit}), or Redis hands a report still "
                "running to a second worker"
            )
        return self
