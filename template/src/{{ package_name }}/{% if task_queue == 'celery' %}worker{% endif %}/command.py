"""`<slug> worker` and `<slug> beat`: run this service's Celery worker, and its scheduler."""

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from .pools import TIME_LIMITED_POOL, pool_refusal
from .settings import QueueSettings


class Pool(StrEnum):
    PREFORK = "prefork"
    THREADS = "threads"
    SOLO = "solo"


def queue_settings() -> QueueSettings:
    try:
        return QueueSettings()
    except ValidationError as error:
        typer.echo(f"Invalid configuration:\n{error}", err=True)
        raise typer.Exit(2) from error


def worker(
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Pool processes [default: one per CPU].")
    ] = None,
    loglevel: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
    pool: Annotated[
        Pool, typer.Option(help="prefork: the one pool that enforces REPORT_TIME_LIMIT.")
    ] = Pool.PREFORK,
    hostname: Annotated[
        str | None,
        typer.Option(
            "--hostname",
            "-n",
            help="Node name, e.g. reports1@%h [default: celery-<pid>@<host>, unique per process].",
        ),
    ] = None,
    queues: Annotated[
        str | None,
        typer.Option("--queues", "-Q", help="Comma-separated queues [default: REPORTS_QUEUE]."),
    ] = None,
    events: Annotated[
        bool | None,
        typer.Option(
            "--events/--no-events",
            "-E",
            help="Task events for `celery events` and Flower [default: on with a real broker].",
        ),
    ] = None,
    max_tasks_per_child: Annotated[
        int | None,
        typer.Option(
            min=1, help="Replace a pool process after N tasks [default: WORKER_MAX_TASKS_PER_CHILD]"
        ),
    ] = None,
    celery_args: Annotated[
        list[str] | None,
        typer.Argument(help="More `celery worker` options, after --, e.g. -- --autoscale=8,2"),
    ] = None,
) -> None:
    """Run a worker. On SIGTERM it takes no new tasks, gives running ones
    WORKER_SOFT_SHUTDOWN_TIMEOUT seconds, then requeues what is left for another worker."""
    if pool != Pool.PREFORK:
        typer.echo(pool_refusal(pool.value), err=True)
        raise typer.Exit(2)
    # Celery's SIGTERM is an unbounded warm shutdown; remapped to SIGQUIT it becomes the
    # soft shutdown bounded by worker_soft_shutdown_timeout. Read once, when billiard is
    # first imported: that is why the worker app is imported only below.
    os.environ.setdefault("REMAP_SIGTERM", "SIGQUIT")
    from .confirms import confirm_in_pool_processes_only
    from .factory import create_worker_app
    from .pools import refuse_pools_without_time_limits

    settings = queue_settings()
    # Two workers on one host must not share a node name (RabbitMQ refuses the second).
    argv = [
        "worker",
        f"--loglevel={loglevel.upper()}",
        f"--pool={TIME_LIMITED_POOL}",
        f"--hostname={hostname or f'celery-{os.getpid()}@%h'}",
    ]
    if concurrency is not None:
        argv.append(f"--concurrency={concurrency}")
    if queues is not None:
        argv.append(f"--queues={queues}")
    if max_tasks_per_child is not None:
        argv.append(f"--max-tasks-per-child={max_tasks_per_child}")
    app = create_worker_app(settings)
    if events is not None:
        app.conf.worker_send_task_events = events
    refuse_pools_without_time_limits(app)
    confirm_in_pool_processes_only(app)
    app.worker_main([*argv, *(celery_args or [])])


def beat(
    loglevel: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
    schedule: Annotated[
        Path, typer.Option(help="File where beat keeps when each periodic task last ran.")
    ] = Path("var/celery-beat-schedule"),
) -> None:
    """Run Celery beat, which sends the periodic tasks (pruning old report files, deleting
    expired results) to the workers. Run exactly one: two would send every task twice."""
    from .factory import create_worker_app

    settings = queue_settings()
    schedule.parent.mkdir(parents=True, exist_ok=True)
    app = create_worker_app(settings)
    app.start(["beat", f"--loglevel={loglevel.upper()}", f"--schedule={schedule}"])
