"""Whose jobs are whose: every process holds a lease in the store and renews it.

A process that dies stops renewing; once its lease has run out, any live process
records that one's unfinished jobs interrupted. Live processes' jobs are never touched,
however many processes share the store and whichever of them starts, fails or stops.
"""

import asyncio
import logging
import time

from .errors import JobStoreUnavailableError
from .store import JobStore

logger = logging.getLogger(__name__)

ABANDONED = "the process running the job stopped before the job finished"


async def sweep(store: JobStore) -> None:
    if count := await store.sweep(ABANDONED):
        logger.warning("recorded %d job(s) of stopped processes as interrupted", count)


async def keep_lease(store: JobStore, seconds: float) -> None:
    """Renew this process's lease a third of the way into it; sweep after renewals.

    After a store outage every process's lease may have run out, the live ones' too: the
    first to reconnect must not take the others for dead. So a process sweeps only once it
    has renewed without a failure for a whole lease period, time enough for every live
    process to have renewed its own.
    """
    renewing_since = time.monotonic()
    while True:
        await asyncio.sleep(seconds / 3)
        try:
            await store.renew_lease(seconds)
        except JobStoreUnavailableError as error:
            logger.warning("could not renew this process's lease: %s", error)
            renewing_since = time.monotonic() + seconds / 3  # the next renewal, at the earliest
            continue
        if time.monotonic() - renewing_since >= seconds:
            try:
                await sweep(store)
            except JobStoreUnavailableError as error:
                logger.warning("could not sweep expired leases: %s", error)
