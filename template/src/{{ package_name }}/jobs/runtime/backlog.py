"""A process's backlog: its jobs that wait in the store, not in its memory.

A job that finds no free slot of its kind, or that is scheduled for later, is recorded and left
in the store (store/backlog_queries.py): what this process keeps of its backlog is a few numbers
per kind, whatever its length. One task claims the next due jobs of a kind when a slot of that
kind frees; one timer wakes it at the earliest due time of a delayed job. Neither reads the store
while nothing frees and nothing falls due.
"""

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from ..store import backlog_queries
from ..store.errors import JobStoreClosedError, JobStoreUnavailableError, describe
from ..store.job_store import WRITE_DEADLINE, JobStore
from ..store.queries import now
from ..store.records import ClaimedJob
from .slots import Slots

logger = logging.getLogger(__name__)

STORE_AWAY_SECONDS = 1.0
"""How long the claims wait before trying again while the store is unavailable."""


class BacklogFullError(Exception):
    """A kind's backlog holds JOBS_MAX_BACKLOG jobs: a new one is refused (503), never dropped."""

    def __init__(self, kind: str, limit: int) -> None:
        super().__init__(f"{limit} {kind} jobs wait already: try again later")
        self.kind = kind


class Backlog:
    def __init__(
        self, store: JobStore, slots: Slots, run: Callable[[ClaimedJob], None], limit: int
    ) -> None:
        self.store = store
        self.slots = slots
        self.run = run
        """Starts a claimed job, its slot already taken."""
        self.limit = limit
        self.waiting: Counter[str] = Counter()
        """Per kind, how many of this process's jobs wait in the store (as last counted)."""
        self._due: dict[str, int] = {}
        """Kinds that may have due jobs waiting, each with a mark that changes when more come."""
        self._due_at: dict[str, datetime] = {}
        """Per kind, the earliest time a delayed job of it falls due."""
        self._wake = asyncio.Event()
        self._timer_changed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False

    def has_due(self, kind: str) -> bool:
        """Whether jobs of `kind` may wait that are due: a new one queues behind them."""
        return kind in self._due

    def make_room(self, kind: str) -> None:
        """BacklogFullError when `kind` has JOBS_MAX_BACKLOG jobs waiting already."""
        if self.waiting[kind] >= self.limit:
            raise BacklogFullError(kind, self.limit)

    def added(self, kind: str, run_at: datetime) -> None:
        """A job of `kind` was recorded to wait in the store until `run_at`."""
        self.waiting[kind] += 1
        self._due_from(kind, run_at)

    def taken_over(self, kinds: Counter[str]) -> None:
        """Jobs of stopped processes joined the backlog: each due at its own time."""
        for kind, count in kinds.items():
            self.waiting[kind] += count
            self._mark_due(kind)  # the claim finds the due ones, then the next time

    def slot_freed(self) -> None:
        if self._due:
            self._wake.set()

    def forget(self) -> None:
        """This process's jobs were taken over (its lease ran out): none waits here now."""
        self.waiting.clear()
        self._due.clear()
        self._due_at.clear()

    async def close(self) -> None:
        """Claim no more (shutdown): what waits stays in the store, for `give_back`."""
        self._closed = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def give_back(self, local_kinds: Sequence[str], host: str) -> int:
        """Every job waiting here back to the store: no process's, or its host's."""
        release = self.store.bound(
            backlog_queries.release_waiting, self.store.instance, local_kinds, host
        )
        with contextlib.suppress(JobStoreClosedError, JobStoreUnavailableError):
            given: int = await self.store.writer.run(release, WRITE_DEADLINE)
            return given
        return 0  # their owner's lease ends with this process: a live one takes them over

    def _due_from(self, kind: str, run_at: datetime) -> None:
        if run_at <= now():
            self._mark_due(kind)
        else:
            self._wake_at(kind, run_at)

    def _wake_at(self, kind: str, at: datetime) -> None:
        if kind not in self._due_at or at < self._due_at[kind]:
            self._due_at[kind] = at
            self._timer_changed.set()
            self._start()

    def _mark_due(self, kind: str) -> None:
        self._due[kind] = self._due.get(kind, 0) + 1
        self._wake.set()
        self._start()

    def _start(self) -> None:
        """The claims and the timer run from the first job that waits (lazily: a runner
        may live outside a running event loop until then)."""
        if not self._tasks and not self._closed:
            self._tasks = [asyncio.create_task(self._claims()), asyncio.create_task(self._timer())]

    async def _claims(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            for kind in list(self._due):
                try:
                    await self._claim(kind)
                except JobStoreClosedError:
                    return
                except Exception as error:  # the store away, or a bug: try again, never stop
                    logger.warning("could not claim waiting %s jobs: %s", kind, describe(error))
                    await asyncio.sleep(STORE_AWAY_SECONDS)
                    self._wake.set()
                    break

    async def _claim(self, kind: str) -> None:
        free = self.slots.free(kind)
        if free == 0 or kind not in self._due:
            if wait := self.slots.wait(kind):  # its rate: claim again once it allows
                self._wake_at(kind, now() + timedelta(seconds=wait))
            return
        mark = self._due[kind]
        self.slots.take(kind, free)
        claimed: list[ClaimedJob] = []
        try:
            claim = self.store.bound(
                backlog_queries.claim_due, self.store.instance, kind, free, now()
            )
            claimed = await self.store.writer.run(claim, WRITE_DEADLINE)
        finally:
            self.slots.give(kind, free - len(claimed), unused=True)
        self.waiting[kind] = max(0, self.waiting[kind] - len(claimed))
        for job in claimed:
            self.run(job)
        if len(claimed) == free or self._due.get(kind) != mark:
            return  # more may be due: the next freed slot claims again
        del self._due[kind]
        await self._count(kind)

    async def _count(self, kind: str) -> None:
        """Count what waits of `kind` afresh, and wait for the earliest of it."""
        count, earliest = await self.store.read(
            self.store.bound(backlog_queries.waiting, self.store.instance, kind)
        )
        self.waiting[kind] = count
        if earliest is not None:
            self._due_from(kind, earliest)

    async def _timer(self) -> None:
        while True:
            timeout: float | None = None
            if self._due_at:
                timeout = max(0.0, (min(self._due_at.values()) - now()).total_seconds())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._timer_changed.wait(), timeout)
            self._timer_changed.clear()
            moment = now()
            for kind, at in list(self._due_at.items()):
                if at <= moment:
                    del self._due_at[kind]
                    self._mark_due(kind)


def host_of(instance: str) -> str:
    """The owner that keeps a job for its host ("host:"), from a process's identity."""
    return instance.split(":")[0] + ":"
