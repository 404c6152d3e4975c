"""One log format for the API, its jobs and (when there is one) the worker.

`LOG_FORMAT=text` (the default, for a terminal) or `json` (one object per line, for a log
shipper). Either way each line carries the request id and, inside a job, the job's id and
kind (context.py). The standard library's logging with a small formatter does this: a
library such as structlog would add a dependency and a second logging API for what is one
class here, and every library's log lines (uvicorn, httpx, Celery) go through the same path.
"""

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic_settings import BaseSettings

from .context import job_id, job_kind, request_id

LOG_FORMAT = "%(asctime)s %(levelname)s [%(name)s] %(message)s"
LogFormat = Literal["text", "json"]


class LogSettings(BaseSettings):
    log_format: LogFormat = "text"
    """`text`: one readable line per record; `json`: one JSON object per line."""


def context() -> dict[str, str | None]:
    return {"request_id": request_id.get(), "job_id": job_id.get(), "kind": job_kind.get()}


class TextFormatter(logging.Formatter):
    """LOG_FORMAT, then the request's and the job's ids when there are any."""

    def __init__(self) -> None:
        super().__init__(LOG_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        line = super().formatMessage(record)
        ids = " ".join(f"{name}={value}" for name, value in context().items() if value)
        return f"{line} [{ids}]" if ids else line


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the ids, any exception, and
    the record's own `fields` (`extra={"fields": fields}` in a logging call) as members."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **context(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


def formatter(log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def logging_config(log_format: LogFormat, level: int = logging.INFO) -> dict[str, Any]:
    """For `logging.config.dictConfig`, which uvicorn applies in each worker process too."""
    default_formatter = {"()": formatter, "log_format": log_format}
    default_handler = {"class": "logging.StreamHandler", "formatter": "default"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": default_formatter},
        "handlers": {"default": default_handler},
        "root": {"level": level, "handlers": ["default"]},
    }


def configure_logging(log_format: LogFormat = "text", level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=level, handlers=[handler], force=True)
