"""A real worker inside this process, for tests: the solo pool in a thread."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from celery.contrib.testing.worker import start_worker
from celery.worker import WorkController

from .factory import create_worker_app
from .settings import QueueSettings

IN_MEMORY = "memory://"
POLLING_SECONDS = 0.01
"""How often the in-memory broker looks for messages (every second by default)."""


@contextmanager
def embedded_worker(settings: QueueSettings) -> Iterator[WorkController]:
    """Consume and run tasks until the block ends (not eager mode: real broker, real acks)."""
    app = create_worker_app(settings)
    in_memory = settings.broker_url.startswith(IN_MEMORY)
    if in_memory:
        options = app.conf.broker_transport_options or {}
        app.conf.broker_transport_options = {**options, "polling_interval": POLLING_SECONDS}
    name = f"embedded-{uuid.uuid4().hex}@localhost"
    with start_worker(app, pool="solo", perform_ping_check=False, hostname=name) as worker:
        try:
            yield worker
        finally:
            if in_memory:
                # Asked through its control queue, it stops now; asked by leaving
                # start_worker, only once its wait for messages times out, 2 s at worst.
                app.control.shutdown(destination=[name])
