"""The point of no return of a job whose kind is not idempotent.

Such a job is recorded `running`, and the record committed, before it does anything that
cannot be undone: a crash must never leave a job looking unstarted when it may have sent
its email. By default that is before its work starts. A kind that knows where its point
of no return is (`JobKind(..., marks_point_of_no_return=True)`) calls
`await point_of_no_return()` right there instead: up to that moment (waiting for an SMTP
connection, say) a shutdown or a crash gives the job back to run again, like one that
never started.
"""

from collections.abc import Awaitable, Callable
from contextvars import ContextVar

Mark = Callable[[], Awaitable[None]]
current_mark: ContextVar[Mark | None] = ContextVar("point_of_no_return", default=None)


async def point_of_no_return() -> None:
    """Record the running job `running` before its next step; once per attempt is enough."""
    mark = current_mark.get()
    if mark is not None:
        await mark()
