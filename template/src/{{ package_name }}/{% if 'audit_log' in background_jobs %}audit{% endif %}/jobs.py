"""The job of POST /signup: append the signup's record to the audit log."""

import asyncio

from fastapi import FastAPI

from ..jobs import Arguments, JobKind, JobResult
from . import log
from .settings import AuditSettings


async def append_record(app: FastAPI, arguments: Arguments) -> JobResult:
    settings: AuditSettings = app.state.settings
    await asyncio.to_thread(log.append, settings.log_file, arguments)
    return None


APPENDS_AT_ONCE = 4
"""Appends at once: each is a thread of the default pool, and all write to one file."""

# Not idempotent: cut off mid-run, the line may be in the log already.
# Host-local: the line goes to this host's LOG_FILE.
APPEND_RECORD = JobKind(
    "audit_log",
    append_record,
    idempotent=False,
    cannot_undo="a record appended stays appended",
    concurrency=lambda _: APPENDS_AT_ONCE,
    host_local=True,
)
