"""What a running job tells of itself: its point of no return, and how far it has got.

The point of no return of a job whose kind is not idempotent: such a job is recorded
`running`, and the record committed, before it does anything that cannot be undone: a
crash must never leave a job looking unstarted when it may have sent its email. By
default that is before its work starts. A kind that knows where its point of no return
is (`JobKind(..., marks_point_of_no_return=True)`) calls `await point_of_no_return()`
right there instead: up to that moment (waiting for an SMTP connection, say) a shutdown
or a crash gives the job back to run again, like one that never started.

Progress: a job calls `report_progress(done, total)` as often as it likes; its record
(`progress_done`, `progress_total`) gets at most one write per PROGRESS_INTERVAL, always
the latest value, and the last one before the job's outcome. Each write is fenced by the
job's claim like every other: a job taken over meanwhile changes nothing.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from contextvars import ContextVar

from ..store.job_store import JobStore
from ..store.progress import mark_progress
from ..store.records import Claim
from .kinds import JobResult

Mark = Callable[[], Awaitable[None]]
current_mark: ContextVar[Mark | None] = ContextVar("point_of_no_return", default=None)
PROGRESS_INTERVAL = 0.5
"""Seconds between two progress writes of one job, at least."""


async def point_of_no_return() -> None:
    """Record the running job `running` before its next step; once per attempt is enough."""
    mark = current_mark.get()
    if mark is not None:
        await mark()


class Progress:
    """One running job's progress, written to its record at most once per PROGRESS_INTERVAL.

    Created on the job's event loop; called from there or from any thread.
    """

    def __init__(self, store: JobStore, job_id: str, claim: Claim) -> None:
        self.store = store
        self.job_id = job_id
        self.claim = claim
        self._loop = asyncio.get_running_loop()
        self._pending: tuple[int, int | None] | None = None
        self._written_at: float | None = None
        self._timer: asyncio.TimerHandle | None = None

    def __call__(self, done: int, total: int | None = None) -> None:
        if not self._on_loop():
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is told
                self._loop.call_soon_threadsafe(self, done, total)
            return
        self._pending = (done, total)
        if self._timer is not None:
            return  # the timer writes the latest value
        written_at = self._written_at
        if written_at is None or self._loop.time() >= written_at + PROGRESS_INTERVAL:
            self.flush()
        else:
            self._timer = self._loop.call_at(written_at + PROGRESS_INTERVAL, self.flush)

    def _on_loop(self) -> bool:
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:  # a thread with no event loop
            return False

    def flush(self) -> None:
        """Write the latest value not written yet, if any (the writer commits in order)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending is None:
            return
        done, total = self._pending
        self._pending = None
        self._written_at = self._loop.time()
        write = self.store.bound(mark_progress, self.job_id, self.claim, done, total)
        self.store.writer.submit_nowait(write)


current_progress: ContextVar[Progress | None] = ContextVar("progress", default=None)


def report_progress(done: int, total: int | None = None) -> None:
    """Tell how far the running job has got: `done` of `total` (units of its choosing).

    Cheap enough to call for every item, in the job or in a thread it runs (`asyncio.to_thread`
    passes the job on); outside a job it does nothing.
    """
    progress = current_progress.get()
    if progress is not None:
        progress(done, total)


def ignore(done: int, total: int | None = None) -> None:
    """What reports the progress of no job."""


def progress_reporter() -> Callable[[int, int | None], None]:
    """`report_progress` bound to the running job: for what does not run in the job's context
    (a thread of its own, the results of a process pool), callable from any thread."""
    return current_progress.get() or ignore


async def reporting(
    work: Awaitable[JobResult], store: JobStore, job_id: str, claim: Claim
) -> JobResult:
    """Await a job's work with its progress reported; the last value is written before
    the runner records the outcome."""
    progress = Progress(store, job_id, claim)
    token = current_progress.set(progress)
    try:
        return await work
    finally:
        current_progress.reset(token)
        progress.flush()
