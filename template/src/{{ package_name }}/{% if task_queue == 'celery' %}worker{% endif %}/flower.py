"""`<slug> flower`: Flower (the workers' web UI, HTTP API and Prometheus metrics) for this
service's Celery app, always behind basic auth."""

import os
from typing import Annotated

import typer

from .command import queue_settings
from .config import sends_events

DEFAULT_PORT = 5555
PURGE_OFFLINE_AFTER = 600
MIN_PASSWORD_LENGTH = 12


def pairs(value: str) -> list[tuple[str, str]]:
    """The `user:password` pairs of a comma-separated list."""
    split = (pair.partition(":") for pair in value.split(","))
    return [(user, password) for user, _, password in split]


def valid_credentials(value: str) -> bool:
    """`user:password`, or several of them comma-separated, none of either part empty."""
    return all(user and password for user, password in pairs(value))


def strong_enough(value: str) -> bool:
    return all(len(password) >= MIN_PASSWORD_LENGTH for _, password in pairs(value))


def flower(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = DEFAULT_PORT,
    address: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")
    ] = "127.0.0.1",
    purge_offline_after: Annotated[
        int,
        typer.Option(
            min=1,
            help="Seconds after its last heartbeat that a stopped worker leaves the list and "
            "/metrics (each restart of `worker` is a new name: celery-<pid>@<host>).",
        ),
    ] = PURGE_OFFLINE_AFTER,
    flower_args: Annotated[
        list[str] | None,
        typer.Argument(
            help="More `celery flower` options, after --, e.g. -- --purge_offline_workers=3600"
        ),
    ] = None,
) -> None:
    """Run Flower: the workers and their tasks live, task outcomes and run times on /metrics.
    Refuses to start without FLOWER_BASIC_AUTH, and on the embedded broker (no task events)."""
    settings = queue_settings()
    if settings.flower_basic_auth is None:
        typer.echo(
            "FLOWER_BASIC_AUTH is not set: Flower's UI and API can revoke tasks and shut workers "
            "down, so it runs only behind basic auth (FLOWER_BASIC_AUTH=user:password in .env).",
            err=True,
        )
        raise typer.Exit(2)
    if not valid_credentials(settings.flower_basic_auth.get_secret_value()):
        typer.echo("FLOWER_BASIC_AUTH is user:password (several: comma-separated).", err=True)
        raise typer.Exit(2)
    if not strong_enough(settings.flower_basic_auth.get_secret_value()):
        typer.echo(
            f"FLOWER_BASIC_AUTH: each password needs {MIN_PASSWORD_LENGTH} characters or more.",
            err=True,
        )
        raise typer.Exit(2)
    if not sends_events(settings):
        typer.echo(
            "Flower learns about tasks from task events, which the embedded broker cannot fan "
            "out: set BROKER_URL to Redis or RabbitMQ.",
            err=True,
        )
        raise typer.Exit(2)
    from .factory import create_worker_app

    # Flower reads FLOWER_* from the environment: the credentials stay out of the process list.
    os.environ["FLOWER_BASIC_AUTH"] = settings.flower_basic_auth.get_secret_value()
    app = create_worker_app(settings)
    app.start(
        [
            "flower",
            f"--port={port}",
            f"--address={address}",
            f"--purge_offline_workers={purge_offline_after}",
            *(flower_args or []),
        ]
    )
