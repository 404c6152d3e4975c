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


# Not idempotent: cut off mid-run, the line may be in the log already.
APPEND_RECORD = JobKind(
    "audit_log", append_record, idempotent=False, cannot_undo="a record appended stays appended"
)
