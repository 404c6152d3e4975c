"""Slots: how many jobs of each kind may run at once in this process, under a global cap, and
how often one may start (a kind's optional rate).

Plain counters, taken and given back synchronously: a request that finds a slot free takes it
before it answers (the fast path), and a job that ends gives its own back. One slow kind fills
its own slots only; the others keep theirs.
"""

import time
from collections import Counter
from collections.abc import Iterable, Mapping

from fastapi import FastAPI

from .kinds import JobKind


def kind_limits(
    app: FastAPI, kinds: Iterable[JobKind], chosen: Mapping[str, int]
) -> dict[str, int]:
    """Each kind's own limit (JobKind.concurrency), or the one chosen for it by name."""
    limits = {kind.name: kind.concurrency(app) for kind in kinds if kind.concurrency}
    return {**limits, **chosen}


class Slots:
    def __init__(
        self, cap: int, limits: Mapping[str, int], rates: Mapping[str, float] | None = None
    ) -> None:
        self.cap = cap
        """Jobs of every kind at once (JOBS_MAX_CONCURRENCY)."""
        self.limits = dict(limits)
        """Per kind; a kind not named has the cap alone."""
        self.rates = dict(rates or {})
        """Per kind, starts a second at most, evenly spaced (JOBS_KIND_RATE)."""
        self.taken: Counter[str] = Counter()
        self.total = 0
        self._next_start: dict[str, float] = {}

    def free(self, kind: str) -> int:
        """How many more jobs of `kind` may start now."""
        left_for_kind = self.limits.get(kind, self.cap) - self.taken[kind]
        free = max(0, min(left_for_kind, self.cap - self.total))
        if kind in self.rates:
            return 0 if self.wait(kind) > 0 else min(free, 1)
        return free

    def wait(self, kind: str) -> float:
        """Seconds until the kind's rate lets another job of it start."""
        return max(0.0, self._next_start.get(kind, 0.0) - time.monotonic())

    def take(self, kind: str, count: int = 1, *, force: bool = False) -> bool:
        """Take `count` slots of `kind` if that many are free (or anyway, `force`)."""
        if not force and self.free(kind) < count:
            return False
        self.taken[kind] += count
        self.total += count
        if rate := self.rates.get(kind):
            start = max(time.monotonic(), self._next_start.get(kind, 0.0))
            self._next_start[kind] = start + count / rate
        return True

    def give(self, kind: str, count: int = 1, *, unused: bool = False) -> None:
        """Give slots back: ended jobs', or `unused` ones (no job started on them)."""
        self.taken[kind] -= count
        self.total -= count
        if unused and (rate := self.rates.get(kind)):
            self._next_start[kind] -= count / rate
