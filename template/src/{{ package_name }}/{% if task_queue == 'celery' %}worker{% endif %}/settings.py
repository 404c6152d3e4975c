"""Settings the API and the worker share: where the queue is, and how reports run on it."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class QueueSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    reports_dir: Path = Path("var/reports")
    broker_url: str = "sqla+sqlite:///var/celery-broker.sqlite3"
    """Default: an embedded broker in a SQLite file, so serve + worker need no server."""
    result_backend: str = "db+sqlite:///var/celery-results.sqlite3"
    reports_queue: str = "reports"
    """The queue report tasks go to and workers take them from (several services can share
    one broker, each with its own queue)."""
    result_expires: int = Field(default=86_400, ge=60)
    """Seconds a report's state and result are kept; after that its id reads as unknown."""
    report_time_limit: int = Field(default=300, ge=1)
    """Seconds a report may run before it is stopped (soft limit; hard limit 30 s later)."""
    broker_visibility_timeout: int = Field(default=3600, ge=1)
    """Redis only: seconds before a task whose worker vanished is delivered again.
    Keep it above the longest report, or a report still running is delivered twice."""
    worker_soft_shutdown_timeout: float = Field(default=30.0, ge=0)
    """On SIGTERM, seconds the worker's running tasks get before they are requeued."""
