"""`<slug> worker`: run a Celery worker for this service's tasks."""

import os
from enum import StrEnum
from typing import Annotated

import typer
from pydantic import ValidationError

from .settings import QueueSettings


class Pool(StrEnum):
    PREFORK = "prefork"
    THREADS = "threads"
    SOLO = "solo"


def worker(
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Pool processes or threads [default: one per CPU].")
    ] = None,
    loglevel: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
    pool: Annotated[Pool, typer.Option(help="prefork for CPU-bound reports.")] = Pool.PREFORK,
) -> None:
    """Run a worker. On SIGTERM it takes no new tasks, gives running ones
    WORKER_SOFT_SHUTDOWN_TIMEOUT seconds, then requeues what is left for another worker."""
    # Celery's SIGTERM is an unbounded warm shutdown; remapped to SIGQUIT it becomes the
    # soft shutdown bounded by worker_soft_shutdown_timeout. Read once, when billiard is
    # first imported: that is why the worker app is imported only below.
    os.environ.setdefault("REMAP_SIGTERM", "SIGQUIT")
    from .app import create_worker_app

    try:
        settings = QueueSettings()
    except ValidationError as error:
        typer.echo(f"Invalid configuration:\n{error}", err=True)
        raise typer.Exit(2) from error
    argv = ["worker", f"--loglevel={loglevel.upper()}", f"--pool={pool.value}"]
    if concurrency is not None:
        argv.append(f"--concurrency={concurrency}")
    create_worker_app(settings).worker_main(argv)
