"""Jobs cut short: by the shutdown's drain, or by this process's lease running out.

Each is given back to the store to run again, or recorded `interrupted` once past its point
of no return (runner.py tells which).
"""

import asyncio
import contextlib
import logging
from typing import Any

from ..store.errors import JobStoreClosedError, JobStoreUnavailableError
from ..store.job_store import JobStore
from ..store.records import Claim
from .backlog import Backlog, host_of
from .kinds import JobKind

logger = logging.getLogger(__name__)

INTERRUPTED_REASON = "the service shut down while the job ran"
LEASE_LOST_REASON = "this process's lease ran out while the job ran"


class Stopping:
    """The part of the runner that stops jobs short (runner.py)."""

    store: JobStore
    backlog: Backlog
    local_kinds: list[str]
    _unfinished: dict[str, JobKind]
    _claims: dict[str, Claim]
    _running: dict[str, asyncio.Task[Any]]
    _past_return: dict[str, int]
    _all_finished: asyncio.Event
    _shutting_down: bool
    _started_here: set[asyncio.Task[None]]

    def lease_lost(self) -> None:
        """This process was away past its lease and its jobs were taken over.

        Every job not past its point of no return is given up at once (the process that took
        it over runs it); the rest finish and record what they did, which their claims still
        allow where nobody ran them again. New jobs are recorded under a new identity.
        """
        self.store.new_identity()
        self.backlog.forget()
        given_up = [job_id for job_id in self._running if job_id not in self._past_return]
        if given_up:
            logger.warning(
                "this process's lease ran out and its jobs were taken over: giving up %d job(s)",
                len(given_up),
            )
        for job_id in given_up:
            self._running[job_id].cancel()

    def _given_up(self, claim: Claim) -> bool:
        """Whether the job's claim is of an identity this process no longer has."""
        return claim.owner != self.store.instance

    async def _give_back(self, job_id: str, claim: Claim) -> None:
        """Back to the store if it can run again, else recorded interrupted; only while the
        job is still this claim's (at shutdown, or with the lease lost)."""
        # Closed: the drain recorded it. Unavailable: the lease sweep will.
        with contextlib.suppress(JobStoreClosedError, JobStoreUnavailableError):
            if job_id in self._past_return:
                reason = LEASE_LOST_REASON if self._given_up(claim) else INTERRUPTED_REASON
                await self.store.interrupt({job_id: claim}, reason)
            else:
                await self._release({job_id: claim})

    async def _release(self, claims: dict[str, Claim]) -> int:
        """Back `queued` to no process; a host-local kind's to its host ("host:")."""
        local = {job_id for job_id in claims if self._unfinished[job_id].name in self.local_kinds}
        host = host_of(self.store.instance)
        kept = {job_id: claims[job_id] for job_id in local}
        released = await self.store.release(kept, host) if kept else 0
        rest = {job_id: claim for job_id, claim in claims.items() if job_id not in local}
        return released + await self.store.release(rest)

    async def drain(self, grace: float) -> None:
        """Wait up to `grace` seconds for running jobs, then give back or interrupt the rest.

        Jobs this runner started itself (claimed ones, schedules') are cancelled first, so
        nothing still runs once its record says it may run elsewhere.
        """
        self._shutting_down = True
        await self.backlog.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._all_finished.wait(), timeout=grace)
        for task in list(self._started_here):
            task.cancel()
        await asyncio.gather(*self._started_here, return_exceptions=True)
        if waiting := await self.backlog.give_back(self.local_kinds, host_of(self.store.instance)):
            logger.warning("at shutdown: %d waiting job(s) given back to the store", waiting)
        leftover = dict(self._unfinished)
        if not leftover:
            return
        claims = {job_id: self._claims[job_id] for job_id in leftover}
        cut_off = {job_id: claim for job_id, claim in claims.items() if job_id in self._past_return}
        come_back = {job_id: claim for job_id, claim in claims.items() if job_id not in cut_off}
        try:
            interrupted = await self.store.interrupt(cut_off, INTERRUPTED_REASON)
            released = await self._release(come_back)
        except JobStoreUnavailableError as error:
            # Their owner's lease ends with this process: a live process takes them over.
            logger.error("could not record %d unfinished job(s): %s", len(leftover), error)
            return
        logger.warning(
            "at shutdown: %d job(s) recorded interrupted, %d given back to run again",
            interrupted,
            released,
        )
