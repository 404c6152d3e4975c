"""A write on its way to the database thread (record_writer.py), and how its waiter hears of it."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .database import Connection

Operation = Callable[[Connection], Any]


@dataclass(eq=False)
class Write:
    operation: Operation
    future: "asyncio.Future[Any] | None" = None
    """Who waits for the commit, if anybody does."""
    durable: bool = False
    """Kept and tried again while the database is unavailable, until it commits."""
    claimed: bool = field(default=False)
    """Taken into a transaction: from then on, its waiter gets the outcome."""
    withdrawn: bool = field(default=False)


Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]


class StatementError(Exception):
    """One write failed on its own (a constraint, a bug), not because of the database's state."""


def settle(outcomes: list[Outcome]) -> None:
    """On the event loop: hand each waiter its committed result or error."""
    for future, value, error in outcomes:
        if future.done():  # its waiter was cancelled
            continue
        if error is None:
            future.set_result(value)
        else:
            future.set_exception(error)
