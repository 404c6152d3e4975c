"""Jobs whose process stopped: taken into this process's backlog, or recorded dead or
interrupted (store/takeover.py says which)."""

import logging
from collections import Counter

from ..store.job_store import JobStore
from .backlog import Backlog
from .kinds import JobKind

logger = logging.getLogger(__name__)

ABANDONED = "the process running the job stopped before the job finished"


class Recovery:
    """The part of the runner that takes over the jobs of stopped processes (runner.py)."""

    store: JobStore
    kinds: dict[str, JobKind]
    backlog: Backlog
    local_kinds: list[str]
    max_recoveries: int
    _shutting_down: bool

    async def recover(self) -> int:
        """Take the jobs that can run again (their process stopped) into this process's
        backlog, where they run as slots free; how many."""
        if self._shutting_down:  # this process gives jobs back now; it takes none
            return 0
        idempotent = [name for name, kind in self.kinds.items() if kind.idempotent]
        claimed, dead, interrupted = await self.store.claim_abandoned(
            list(self.kinds), idempotent, ABANDONED, self.local_kinds, self.max_recoveries
        )
        if dead:
            logger.error(
                "recorded %d job(s) dead: their process stopped while they ran, %d time(s)",
                *(dead, self.max_recoveries),
            )
        if interrupted:
            logger.warning("recorded %d job(s) of stopped processes as interrupted", interrupted)
        self.backlog.taken_over(Counter(job.kind for job in claimed))
        # A retry that never started was queued for any live service (`jobs retry`).
        retries = sum(1 for job in claimed if job.retry_of is not None and job.attempts == 0)
        if retries:
            logger.info("running %d job(s) queued for a retry", retries)
        if len(claimed) > retries:
            logger.warning("running again %d job(s) of stopped processes", len(claimed) - retries)
        return len(claimed)
