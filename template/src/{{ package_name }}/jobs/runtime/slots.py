"""Slots: how many jobs of each kind may run at once in this process, under a global cap.

Plain counters, taken and given back synchronously: a request that finds a slot free takes it
before it answers (the fast path), and a job that ends gives its own back. One slow kind fills
its own slots only; the others keep theirs.
"""

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
    def __init__(self, cap: int, limits: Mapping[str, int]) -> None:
        self.cap = cap
        """Jobs of every kind at once (JOBS_MAX_CONCURRENCY)."""
        self.limits = dict(limits)
        """Per kind; a kind not named has the cap alone."""
        self.taken: Counter[str] = Counter()
        self.total = 0

    def free(self, kind: str) -> int:
        """How many more jobs of `kind` may start now."""
        left_for_kind = self.limits.get(kind, self.cap) - self.taken[kind]
        return max(0, min(left_for_kind, self.cap - self.total))

    def take(self, kind: str, count: int = 1, *, force: bool = False) -> bool:
        """Take `count` slots of `kind` if that many are free (or anyway, `force`)."""
        if not force and self.free(kind) < count:
            return False
        self.taken[kind] += count
        self.total += count
        return True

    def give(self, kind: str, count: int = 1) -> None:
        self.taken[kind] -= count
        self.total -= count
