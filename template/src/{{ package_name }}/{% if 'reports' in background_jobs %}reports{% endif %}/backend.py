"""What the reports endpoints need from whatever runs the reports."""

from typing import Protocol

from ..jobs import Idempotency
from .schemas import IssuedReportStatus, ReportRequest, ReportStatus


class ReportsUnavailableError(Exception):
    """Reports cannot be accepted right now (for example, the broker is unreachable)."""


class ReportBackend(Protocol):
    async def submit(self, report: ReportRequest, idempotency: Idempotency | None) -> str:
        """Hand the report over to be built; return its task id (the first one's, for a
        repeated Idempotency-Key)."""
        ...

    async def status(self, task_id: str) -> ReportStatus | None:
        """Where report `task_id` stands; None if no such id was ever issued."""
        ...

    async def recent(self, limit: int) -> list[IssuedReportStatus]:
        """The newest reports, from their job records, each where GET /reports/{task_id}
        says it stands."""
        ...
