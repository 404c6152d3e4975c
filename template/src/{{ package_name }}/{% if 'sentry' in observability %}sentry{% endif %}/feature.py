import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sentry_sdk
from fastapi import FastAPI
from sentry_sdk.integrations.logging import ignore_logger

from ..feature import Feature
from ..jobs import RUNNER_LOGGERS, JobRunner
from .observer import FailedJobReports
from .settings import SentrySettings

FLUSH_SECONDS = 2.0


@asynccontextmanager
async def error_reporting(app: FastAPI) -> AsyncIterator[None]:
    """After the jobs feature: its runner tells FailedJobReports how each job ended.

    Sentry's FastAPI integration (on by default once the SDK is initialised) reports the
    exceptions that reach no handler: the 500 answers.
    """
    settings: SentrySettings = app.state.settings
    if settings.sentry_dsn is None:
        yield
        return
    # Sentry's logging integration makes an event of every ERROR line. The runner logs each
    # failed job with its traceback, and FailedJobReports reports that job, tagged: the line's
    # own event would be the same failure again (or, deduplicated, the untagged one). So the
    # runner's lines are not sent; its warnings (retries, shutdown) are not errors anyway.
    for name in RUNNER_LOGGERS:
        ignore_logger(name)
    sentry_sdk.init(dsn=settings.sentry_dsn, environment=settings.sentry_environment)
    runner: JobRunner = app.state.jobs
    runner.observers.append(FailedJobReports())
    try:
        yield
    finally:
        # Flushed, not closed: the jobs feature drains its runner after this, and a job that
        # fails then is still reported (the SDK sends what is left when the process exits).
        await asyncio.to_thread(sentry_sdk.flush, FLUSH_SECONDS)


feature = Feature(name="sentry", resources=error_reporting)
