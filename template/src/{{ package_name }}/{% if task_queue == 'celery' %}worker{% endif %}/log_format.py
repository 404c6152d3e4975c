"""The worker logs like the API: LOG_FORMAT, and the task's id and name as the job's.

Celery sets up the worker's log handlers itself (and again in each pool process); once it
has, the handlers get this service's formatter. While a task runs, its id and name are the
`job_id` and `kind` every log line of it carries.
"""

import logging
from typing import Any

from celery.signals import after_setup_logger, after_setup_task_logger, task_postrun, task_prerun

from ..context import job_id, job_kind
from ..logs import LogFormat, formatter

chosen: list[LogFormat] = ["text"]
"""LOG_FORMAT of the worker app this process runs (set by `create_worker_app`)."""


def use_log_format(log_format: LogFormat) -> None:
    chosen[0] = log_format


@after_setup_logger.connect
@after_setup_task_logger.connect
def format_handlers(logger: logging.Logger, **kwargs: Any) -> None:
    for handler in logger.handlers:
        handler.setFormatter(formatter(chosen[0]))


@task_prerun.connect
def task_started(task_id: str, task: Any, **kwargs: Any) -> None:
    job_id.set(task_id)
    job_kind.set(task.name)


@task_postrun.connect
def task_ended(**kwargs: Any) -> None:
    job_id.set(None)
    job_kind.set(None)
