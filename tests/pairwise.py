"""Pairwise (all-pairs) answer combinations: every two answer values meet in at least one row.

A small greedy set cover over the whole answer space. The space here is tiny (about a
thousand rows), so the generator can enumerate every valid row and, at each step, take the
one that covers the most value pairs not yet covered. Constraints are a predicate over a
full row, so a pair that no valid row can hold (celery without reports) is never required.

Why not a library: allpairspy, the usual one, has had no release since 2023, and the
exhaustive greedy search below is shorter than the glue a library would need for seeds,
constraints and cost.

Seed rows (the hand-picked combinations) count as already chosen: the generator only adds
the rows still needed, so the whole matrix is the seeds plus a handful of extra rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

Row = dict[str, Any]
Pair = tuple[tuple[str, Any], tuple[str, Any]]


def pairs_of(row: Mapping[str, Any], factors: Sequence[str]) -> set[Pair]:
    """The value pairs one row covers, each as ((factor, value), (factor, value))."""
    return {((a, row[a]), (b, row[b])) for a, b in itertools.combinations(factors, 2)}


def valid_rows(
    factors: Mapping[str, Sequence[Any]], allowed: Callable[[Mapping[str, Any]], bool]
) -> list[Row]:
    names = list(factors)
    products = itertools.product(*factors.values())
    rows = (dict(zip(names, values, strict=True)) for values in products)
    return [row for row in rows if allowed(row)]


class PairBits:
    """Every value pair of `factors` as one bit, so a row's pairs are one int: covering and
    counting become `&` and `bit_count()` (tens of thousands of rows, in well under a second)."""

    def __init__(self, factors: Mapping[str, Sequence[Any]]) -> None:
        self.names = list(factors)
        self.pairs: list[Pair] = [
            ((a, va), (b, vb))
            for a, b in itertools.combinations(self.names, 2)
            for va in factors[a]
            for vb in factors[b]
        ]
        self.bit = {pair: 1 << i for i, pair in enumerate(self.pairs)}

    def of(self, row: Mapping[str, Any]) -> int:
        """The row's pairs; a value outside the factors (a seed's) covers nothing."""
        return sum(self.bit.get(pair, 0) for pair in pairs_of(row, self.names))

    def decode(self, bits: int) -> set[Pair]:
        return {pair for i, pair in enumerate(self.pairs) if bits >> i & 1}


def required_pairs(
    factors: Mapping[str, Sequence[Any]], allowed: Callable[[Mapping[str, Any]], bool]
) -> set[Pair]:
    """Every pair of values that some valid row can hold together."""
    bits = PairBits(factors)
    covered = 0
    for row in valid_rows(factors, allowed):
        covered |= bits.of(row)
    return bits.decode(covered)


def complete(
    factors: Mapping[str, Sequence[Any]],
    allowed: Callable[[Mapping[str, Any]], bool],
    seeds: Iterable[Mapping[str, Any]] = (),
    cost: Callable[[Mapping[str, Any]], float] = lambda row: 0,
) -> list[Row]:
    """The rows to add to `seeds` so that every coverable pair appears at least once.

    Among rows covering equally many new pairs, the cheapest wins (`cost`), then the first
    in `itertools.product` order of `factors`: the result is deterministic.
    """
    bits = PairBits(factors)
    candidates = [(row, bits.of(row)) for row in valid_rows(factors, allowed)]
    uncovered = 0
    for _, pairs in candidates:
        uncovered |= pairs
    for seed in seeds:
        uncovered &= ~bits.of(seed)
    added: list[Row] = []
    while uncovered:
        best, pairs = max(
            candidates,
            key=lambda candidate: ((candidate[1] & uncovered).bit_count(), -cost(candidate[0])),
        )
        added.append(best)
        uncovered &= ~pairs
    return added
