"""A real worker inside this process, for tests: the solo pool in a thread."""

from collections.abc import Iterator
from contextlib import contextmanager

from celery.contrib.testing.worker import start_worker
from celery.worker import WorkController

from .factory import create_worker_app
from .settings import QueueSettings


@contextmanager
def embedded_worker(settings: QueueSettings) -> Iterator[WorkController]:
    """Consume and run tasks until the block ends (not eager mode: real broker, real acks)."""
    app = create_worker_app(settings)
    with start_worker(app, pool="solo", perform_ping_check=False) as worker:
        yield worker
