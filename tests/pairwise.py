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


def required_pairs(
    factors: Mapping[str, Sequence[Any]], allowed: Callable[[Mapping[str, Any]], bool]
) -> set[Pair]:
    """Every pair of values that some valid row can hold together."""
    names = list(factors)
    return set().union(*(pairs_of(row, names) for row in valid_rows(factors, allowed)))


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
    names = list(factors)
    candidates = [(row, pairs_of(row, names)) for row in valid_rows(factors, allowed)]
    uncovered = set().union(*(pairs for _, pairs in candidates))
    for seed in seeds:
        uncovered -= pairs_of(seed, names)
    added: list[Row] = []
    while uncovered:
        best, pairs = max(
            candidates, key=lambda candidate: (len(candidate[1] & uncovered), -cost(candidate[0]))
        )
        added.append(best)
        uncovered -= pairs
    return added
