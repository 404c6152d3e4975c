"""`jobs_in_store`: every job in the jobs store by kind and status, in GET /metrics.

Read from the store at scrape time (jobs.JobCounts: one grouped query, at most once a
second, shared with the dashboard), by the process that answers the scrape: every process
sharing the store shows the same values, never summed over them. Each kind this service
runs gets a value for every status, 0 included, so a series never vanishes.
"""

import contextlib
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from ..jobs import JobCounts, JobRunner, JobStatus, JobStoreUnavailableError


class StoreCounts(Collector):
    def __init__(self, counts: JobCounts, runner: JobRunner) -> None:
        self.counts = counts
        self.runner = runner

    def collect(self) -> Iterator[Metric]:
        latest = self.counts.latest
        if latest is None:  # the store could not be read: left out, not reported as 0
            return
        values = {(count.kind, count.status): count.count for count in latest.counts}
        kinds = {*self.runner.kinds, *self.runner.handed_over, *(kind for kind, _ in values)}
        statuses = [*JobStatus, *sorted({status for _, status in values} - set(JobStatus))]
        gauge = GaugeMetricFamily(
            "jobs_in_store",
            "Jobs recorded in the jobs store, by kind and status (queued: waiting to run).",
            labels=["kind", "status"],
        )
        for kind in sorted(kinds):
            for status in statuses:
                gauge.add_metric([kind, str(status)], values.get((kind, str(status)), 0))
        yield gauge

    async def refresh(self) -> None:
        """Before a scrape: the counts at most a second old (kept as they were when the
        store cannot be read)."""
        with contextlib.suppress(JobStoreUnavailableError):
            await self.counts.read()
