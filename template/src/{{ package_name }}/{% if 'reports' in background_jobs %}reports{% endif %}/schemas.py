from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from ..jobs import JobStatus

MAX_ROWS = 100_000

# A slug: it becomes part of the report's file name, so it cannot name a path.
ReportName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class ReportRequest(BaseModel):
    name: ReportName
    rows: Annotated[int, Field(ge=1, le=MAX_ROWS)]


class ReportAccepted(BaseModel):
    task_id: str


class ReportResult(BaseModel):
    file: str
    """File name inside REPORTS_DIR."""
    rows: int
    sha256: str


class ReportStatus(BaseModel):
    task_id: str
    state: JobStatus
    result: ReportResult | None = None
    error: str | None = None


class IssuedReportStatus(BaseModel):
    """A report in GET /reports: what was asked for, and where it stands."""

    task_id: str
    name: str
    rows: int
    issued_at: datetime
    request_id: str | None
    """The X-Request-ID of the request that issued it."""
    state: JobStatus
    error: str | None = None
