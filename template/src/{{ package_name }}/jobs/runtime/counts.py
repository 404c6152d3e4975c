"""The jobs counted by kind and status, as the dashboard and GET /metrics show them.

One grouped query over the jobs table, run at most once per MAX_AGE per process however
many pages and scrapers ask, and only when some job has changed since the last count (the
store's version, which costs a few index reads): an idle store is never counted twice.
"""

import asyncio
import time
import weakref
from dataclasses import dataclass

from ..store.activity import JobCount, count_jobs
from ..store.job_store import JobStore

MAX_AGE = 1.0
"""Seconds a count is shown before the store is asked again."""


@dataclass(frozen=True, slots=True)
class CountedJobs:
    counts: list[JobCount]
    version: str
    """The store's version they were counted at (JobStore.version): an ETag's ingredient."""


class JobCounts:
    def __init__(self, store: JobStore, max_age: float = MAX_AGE) -> None:
        self.store = store
        self.max_age = max_age
        self.latest: CountedJobs | None = None
        """The last count read, None before the first."""
        self._read_at = float("-inf")
        self._reading: asyncio.Future[CountedJobs] | None = None

    async def read(self) -> CountedJobs:
        """The counts, at most `max_age` seconds old; callers at the same time share one read."""
        if self.latest is not None and time.monotonic() - self._read_at < self.max_age:
            return self.latest
        if self._reading is None or self._reading.done():
            self._reading = asyncio.ensure_future(self._recount())
        # Shielded: a caller that goes away does not cancel the others' read.
        return await asyncio.shield(self._reading)

    async def _recount(self) -> CountedJobs:
        version = await self.store.version()
        latest = self.latest
        if latest is None or version != latest.version:
            counts = await self.store.read(self.store.bound(count_jobs))
            latest = self.latest = CountedJobs(counts, version)
        self._read_at = time.monotonic()
        return latest


_counts: "weakref.WeakKeyDictionary[JobStore, JobCounts]" = weakref.WeakKeyDictionary()


def job_counts(store: JobStore) -> JobCounts:
    """The one JobCounts of `store`, shared by everything in this process that shows counts."""
    counts = _counts.get(store)
    if counts is None:
        counts = _counts[store] = JobCounts(store)
    return counts
