import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ...feature import Feature
from ..runtime.background import in_background
from ..runtime.backlog import BacklogFullError
from ..runtime.idempotency import HEADER, IdempotencyKeyReusedError
from ..runtime.kinds import JobKind
from ..runtime.leases import keep_lease
from ..runtime.outcomes import OutcomeLog
from ..runtime.runner import JobRunner
from ..runtime.slots import kind_limits
from ..settings import JobsSettings
from ..store.chosen_engine import open_database
from ..store.errors import JobStoreUnavailableError, LeaseLostError, public_message
from ..store.job_store import JobStore
from .router import router

logger = logging.getLogger(__name__)

# After uvicorn's graceful timeout cancels the jobs still running, how long their
# cancellation handlers get to record themselves before the rest are recorded here.
CANCELLATION_GRACE = 1.0
READINESS_DEADLINE = 3.0
"""Longer than SQLite's busy timeout, so a held lock reads as the cause, not a time-out."""
RETRY_AFTER_SECONDS = 5


@asynccontextmanager
async def job_runner(app: FastAPI) -> AsyncIterator[None]:
    settings: JobsSettings = app.state.settings
    store = JobStore(open_database(settings))
    await store.open()
    try:
        await store.renew_lease(settings.jobs_lease_seconds)
        kinds: list[JobKind] = app.state.job_kinds
        local = not (store.database.one_host or settings.jobs_shared_disk)
        app.state.jobs = runner = JobRunner(
            app,
            store,
            kinds,
            settings.jobs_max_concurrency,
            max_recoveries=settings.jobs_max_recoveries,
            limits=kind_limits(app, kinds, settings.jobs_kind_concurrency),
            rates=settings.jobs_kind_rate,
            max_backlog=settings.jobs_max_backlog,
            local_kinds=[kind.name for kind in kinds if kind.host_local and local],
        )
        if settings.jobs_log_outcomes:
            runner.observers.append(OutcomeLog())
        await runner.recover()
        async with (
            in_background(keep_lease(runner, settings.jobs_lease_seconds)),
            in_background(runner.watch_cancels()),
        ):
            try:
                yield
            finally:
                await runner.drain(CANCELLATION_GRACE)
        with contextlib.suppress(JobStoreUnavailableError):
            await store.release_lease()
    finally:
        await store.close()


async def store_ready(app: FastAPI) -> str | None:
    """Ready while the store takes a write: renewing the lease is one, and a useful one."""
    runner: JobRunner = app.state.jobs
    settings: JobsSettings = app.state.settings
    try:
        await runner.store.renew_lease(settings.jobs_lease_seconds, READINESS_DEADLINE)
    except JobStoreUnavailableError as error:
        logger.warning("not ready: %s", error)
        return public_message(runner.store.database, error)
    except LeaseLostError:  # the store took the write; the lease's own loop comes back from it
        pass
    return None


async def store_unavailable(request: Request, error: JobStoreUnavailableError) -> JSONResponse:
    """A job that cannot be recorded is not accepted: 503, and when to try again.

    The answer names the setting and the cause; where the store is, and the database's own
    words, go to the log only.
    """
    logger.warning("%s %s answered 503: %s", request.method, request.url.path, error)
    runner: JobRunner = request.app.state.jobs
    return JSONResponse(
        {"detail": public_message(runner.store.database, error)},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def backlog_full(request: Request, error: BacklogFullError) -> JSONResponse:
    """Not recorded, so not accepted: the client tries again once the backlog has room."""
    logger.warning("%s %s answered 503: %s", request.method, request.url.path, error)
    return JSONResponse(
        {"detail": str(error)},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def key_reused(_: Request, error: IdempotencyKeyReusedError) -> JSONResponse:
    """422 in the shape of every other request validation error, as the OpenAPI schema says."""
    problem = {"loc": ["header", HEADER], "msg": str(error), "type": "idempotency_key_reused"}
    return JSONResponse({"detail": [problem]}, status_code=422)


feature = Feature(
    name="jobs",
    router=router,
    resources=job_runner,
    ready=store_ready,
    error_handlers={
        JobStoreUnavailableError: store_unavailable,
        IdempotencyKeyReusedError: key_reused,
        BacklogFullError: backlog_full,
    },
)
