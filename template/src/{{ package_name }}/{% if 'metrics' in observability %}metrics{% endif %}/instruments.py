"""The metrics themselves, and the page Prometheus scrapes.

Under `serve --workers N` each worker process writes its values to files in
PROMETHEUS_MULTIPROC_DIR (set up by `serve`), and GET /metrics, whichever worker answers
it, sums every worker's files: prometheus_client's multiprocess mode.
"""

import functools
import os
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)
STORE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)


def remember_children(metric: Counter | Gauge | Histogram) -> None:
    """Make `metric.labels(...)` remember each child by its label values.

    prometheus_client's labels() checks its arguments and takes a lock on every call: on
    the path of every request and job, a dictionary lookup is all it needs to be.
    """
    metric.labels = functools.cache(metric.labels)  # type: ignore[method-assign,assignment]


def multiprocess() -> bool:
    return "PROMETHEUS_MULTIPROC_DIR" in os.environ


class Metrics:
    """One set of instruments, kept on `app.state.metrics`."""

    def __init__(self) -> None:
        self.multiprocess = multiprocess()
        # In multiprocess mode the values live in files: the instruments' own registry is
        # never read, a fresh one collects every process's files on each scrape.
        self._registry = CollectorRegistry()
        self._collectors: list[Collector] = []
        self.before_scrape: list[Callable[[], Awaitable[None]]] = []
        """Awaited before each page: what a collector reads from elsewhere, fetched."""
        registry = self._registry
        self.http_requests = Counter(
            "http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.http_request_duration = Histogram(
            "http_request_duration_seconds",
            "Seconds from a request's arrival to the end of its response (not its jobs).",
            ["method", "route"],
            registry=registry,
        )
        self.jobs_accepted = Counter(
            "jobs_accepted", "Jobs recorded queued, by kind.", ["kind"], registry=registry
        )
        self.jobs_finished = Counter(
            "jobs_finished",
            "Jobs ended, by kind and final status (succeeded, failed, uncertain, interrupted).",
            ["kind", "status"],
            registry=registry,
        )
        self.jobs_retries = Counter(
            "jobs_retries",
            "Failed attempts followed by another, by kind.",
            ["kind"],
            registry=registry,
        )
        self.job_duration = Histogram(
            "job_duration_seconds",
            "Seconds from a job's first attempt to its end, retries included, by kind.",
            ["kind"],
            buckets=JOB_BUCKETS,
            registry=registry,
        )
        self.jobs_in_progress = Gauge(
            "jobs_in_progress",
            "Jobs started and not yet ended, by kind.",
            ["kind"],
            multiprocess_mode="livesum",
            registry=registry,
        )
        self.job_store_write = Histogram(
            "job_store_write_seconds",
            "Seconds per jobs-store transaction (one commits many job-record writes at once).",
            buckets=STORE_BUCKETS,
            registry=registry,
        )
        for labelled in (
            self.http_requests,
            self.http_request_duration,
            self.jobs_accepted,
            self.jobs_finished,
            self.jobs_retries,
            self.job_duration,
            self.jobs_in_progress,
        ):
            remember_children(labelled)

    def add_collector(self, collector: Collector) -> None:
        """A collector asked at each scrape by the process answering it, never summed over
        processes: for a value every process sees alike (a count of Celery workers)."""
        self._collectors.append(collector)
        self._registry.register(collector)

    def page(self) -> bytes:
        """The Prometheus text exposition of every metric (of every worker process)."""
        if not self.multiprocess:
            return generate_latest(self._registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        for collector in self._collectors:
            registry.register(collector)
        return generate_latest(registry)

    def close(self) -> None:
        """This process ends: its jobs_in_progress no longer counts (its counters still do)."""
        if self.multiprocess:
            mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
