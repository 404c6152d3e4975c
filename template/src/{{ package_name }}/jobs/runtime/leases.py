"""Whose jobs are whose: every process holds a lease in the store and renews it.

A process that dies stops renewing; once its lease has run out, any live process takes
over that one's unfinished jobs: it runs again those that can (runner.recover) and
records the rest interrupted. Live processes' jobs are never touched, however many
processes share the store and whichever of them starts, fails or stops.
"""

import asyncio
import logging
import time

from ..store.errors import JobStoreUnavailableError, LeaseLostError
from .runner import JobRunner

logger = logging.getLogger(__name__)


async def keep_lease(runner: JobRunner, seconds: float) -> None:
    """Renew this process's lease a third of the way into it; sweep after renewals.

    After a store outage every process's lease may have run out, the live ones' too: the
    first to reconnect must not take the others for dead. So a process sweeps only once it
    has renewed without a failure for a whole lease period, time enough for every live
    process to have renewed its own.

    A process that was away longer than its lease (paused, or cut off from the store) may
    find that another one has taken its jobs over: it gives up those it holds that have not
    passed their point of no return, and comes back under a new identity with a new lease.
    """
    store = runner.store
    renewing_since = time.monotonic()
    while True:
        await asyncio.sleep(seconds / 3)
        try:
            await store.renew_lease(seconds)
        except JobStoreUnavailableError as error:
            logger.warning("could not renew this process's lease: %s", error)
            renewing_since = time.monotonic() + seconds / 3  # the next renewal, at the earliest
            continue
        except LeaseLostError as error:
            logger.error("%s: this process comes back under a new identity", error)
            runner.lease_lost()
            renewing_since = time.monotonic() + seconds / 3
            continue
        if time.monotonic() - renewing_since >= seconds:
            try:
                await runner.recover()
            except JobStoreUnavailableError as error:
                logger.warning("could not sweep expired leases: %s", error)
