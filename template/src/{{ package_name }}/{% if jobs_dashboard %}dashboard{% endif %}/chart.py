"""The dashboard's chart of the jobs finished per minute over the last hour, drawn as SVG
by the service: the geometry here, the markup in templates/activity.html."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..jobs import JobStatus, MinuteCount

MINUTES = 60
WIDTH, HEIGHT = 600, 120
"""The plot's size in SVG units (the page scales it to its column)."""
BAR_GAP = 2


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    status: str
    title: str
    """The tooltip: the minute, and what finished in it."""


@dataclass(frozen=True, slots=True)
class Chart:
    bars: list[Bar]
    peak: int
    """The most jobs finished in one minute: the top of the scale."""
    totals: list[tuple[str, int]]
    """Jobs finished in the hour, by status, in the statuses' order."""
    width: int = WIDTH
    height: int = HEIGHT


def first_minute(now: datetime) -> datetime:
    """The start of the oldest minute the chart shows; the newest is the one under way."""
    return now.replace(second=0, microsecond=0) - timedelta(minutes=MINUTES - 1)


def status_order(status: str) -> int:
    """Statuses in JobStatus's order (whatever statuses it has), unknown ones after them."""
    statuses = list(JobStatus)
    return statuses.index(JobStatus(status)) if status in statuses else len(statuses)


def finished_chart(counts: list[MinuteCount], now: datetime) -> Chart:
    """Stacked bars, one per minute, oldest at the left: a part per final status."""
    start = first_minute(now)
    by_minute: dict[int, dict[str, int]] = defaultdict(dict)
    totals: dict[str, int] = defaultdict(int)
    for count in counts:
        index = int((count.minute - start).total_seconds() // 60)
        if 0 <= index < MINUTES:
            by_minute[index][count.status] = count.count
            totals[count.status] += count.count
    peak = max((sum(parts.values()) for parts in by_minute.values()), default=0)
    slot = WIDTH / MINUTES
    bars: list[Bar] = []
    for index, parts in sorted(by_minute.items()):
        minute = start + timedelta(minutes=index)
        ordered = sorted(parts.items(), key=lambda part: status_order(part[0]))
        title = f"{minute:%H:%M} UTC: " + ", ".join(f"{n} {status}" for status, n in ordered)
        top = float(HEIGHT)
        for status, number in ordered:
            height = HEIGHT * number / peak
            top -= height
            bars.append(Bar(index * slot, top, slot - BAR_GAP, height, status, title))
    ordered_totals = sorted(totals.items(), key=lambda total: status_order(total[0]))
    return Chart(bars=bars, peak=peak, totals=ordered_totals)
