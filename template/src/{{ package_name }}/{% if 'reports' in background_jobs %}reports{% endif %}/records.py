"""The reports as their job records hold them, whichever runs them: the one report record."""

from datetime import datetime
from typing import Any

from ..jobs import (
    CELERY_OWNER,
    NEWEST_FIRST,
    SELECT_RECORDS,
    Connection,
    JobRecord,
    JobStore,
    row_to_record,
)
from .schemas import IssuedReportStatus, ReportResult, ReportStatus

REPORT_KIND = "reports"
"""The kind of a report's job record, whether the process pool or Celery builds it."""


async def newest_reports(
    store: JobStore, limit: int, celery_since: datetime | None = None
) -> list[JobRecord]:
    """The newest job records of reports; with `celery_since`, none that Celery ran issued
    before it (their ids have expired: GET /reports/{task_id} no longer answers them)."""
    db = store.database
    condition = "kind = ?"
    params: list[Any] = [REPORT_KIND]
    if celery_since is not None:
        condition += " AND (owner IS NULL OR owner <> ? OR created_at >= ?)"
        params += [CELERY_OWNER, celery_since]

    def select(connection: Connection) -> list[JobRecord]:
        rows = db.execute(
            connection,
            f"{SELECT_RECORDS} WHERE {condition}{NEWEST_FIRST}",
            (*params, limit),
        )
        return [row_to_record(row) for row in rows.fetchall()]

    return await store.read(select)


def from_record(job: JobRecord) -> ReportStatus:
    result = ReportResult.model_validate(job.result) if job.result else None
    return ReportStatus(task_id=job.id, state=job.status, result=result, error=job.error)


def listed(job: JobRecord, status: ReportStatus) -> IssuedReportStatus:
    """A report's line in GET /reports: its record, at `status`."""
    arguments = job.arguments or {}
    return IssuedReportStatus(
        task_id=job.id,
        name=arguments.get("name", ""),
        rows=arguments.get("rows", 0),
        issued_at=job.created_at,
        request_id=job.request_id,
        state=status.state,
        error=status.error,
    )
