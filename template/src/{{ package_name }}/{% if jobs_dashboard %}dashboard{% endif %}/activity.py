"""GET /dashboard/activity: the dashboard's counts and chart, rendered by the service.

Every job counted by kind and status (jobs.JobCounts, shared with GET /metrics), and the
jobs finished per minute over the last hour, as one HTML fragment the page swaps in. Its
ETag is the store's version the counts were read at, and the minute: while no job changes,
a poll gets 304.
"""

import hashlib
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.templating import Jinja2Templates

from ..jobs import JobCount, JobStatus, count_finished_per_minute, job_counts
from .chart import finished_chart, first_minute, status_order
from .router import HERE, jobs_store, require_session

templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(
    prefix="/dashboard", include_in_schema=False, dependencies=[Depends(require_session)]
)


class CountsTable:
    """The counts as the page shows them: a row per kind, a column per status."""

    def __init__(self, counts: list[JobCount]) -> None:
        found = {count.status for count in counts}
        self.statuses = sorted({*JobStatus, *found}, key=status_order)
        self.kinds = sorted({count.kind for count in counts})
        self.cells = {(count.kind, count.status): count.count for count in counts}

    def count(self, kind: str | None = None, status: str | None = None) -> int:
        """Jobs of `kind` (any when None) in `status` (any when None)."""
        return sum(
            number
            for (of_kind, of_status), number in self.cells.items()
            if kind in (None, of_kind) and status in (None, of_status)
        )


@router.get("/activity", name="dashboard_activity")
async def activity(
    request: Request, if_none_match: Annotated[str | None, Header()] = None
) -> Response:
    store = jobs_store(request)
    now = datetime.now(UTC)
    since = first_minute(now)
    counted = await job_counts(store).read()  # at most a second old, shared with /metrics
    tag = hashlib.blake2b(f"{counted.version}|{since:%Y%m%d%H%M}".encode(), digest_size=16)
    headers = {"ETag": f'"{tag.hexdigest()}"', "Cache-Control": "no-cache"}
    if if_none_match == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    minutes = await store.read(store.bound(count_finished_per_minute, since))
    context = {"table": CountsTable(counted.counts), "chart": finished_chart(minutes, now)}
    return templates.TemplateResponse(request, "activity.html", context, headers=headers)
