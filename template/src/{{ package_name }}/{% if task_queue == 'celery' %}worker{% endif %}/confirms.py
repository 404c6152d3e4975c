"""Publisher confirms in the worker's pool processes, not in its main process.

The pool processes publish what must not be lost, a task's retry: each publish waits for
RabbitMQ to confirm it (config.transport_options). The main process publishes only events
and control replies, where a confirm buys nothing, and there it can hang a stop for good
(Celery 5.6 and 5.7): once SIGTERM has stopped the pool, a thread of the pool's fires the
worker's timers, and its heartbeat event waited, holding the event dispatcher's lock, for a
confirm that never came, while the main thread waited for that lock (seen in about one stop
in 40 under load, right after a task's success, as a worker that never exits).
"""

from typing import Any

from celery import Celery
from celery.signals import worker_process_init

CONFIRM = "confirm_publish"


def confirm_in_pool_processes_only(app: Celery) -> None:
    """Publish without confirms in this (main) process; with them again in each pool process."""
    options: dict[str, Any] = dict(app.conf.broker_transport_options or {})
    if not options.pop(CONFIRM, False):
        return
    app.conf.broker_transport_options = options

    def confirm_again(**_: Any) -> None:
        # Before the process's first publish: its connections are made anew after the fork.
        app.conf.broker_transport_options = {**options, CONFIRM: True}

    worker_process_init.connect(confirm_again, weak=False)
