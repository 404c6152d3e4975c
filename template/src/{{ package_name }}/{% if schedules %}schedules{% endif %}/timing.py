"""When a schedule is due: a 5-field cron expression (UTC) or an interval in seconds."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import croniter

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
"""Intervals count from here, so that every process agrees on the due times."""


@dataclass(frozen=True)
class Timing:
    spec: str

    def latest_due(self, now: datetime) -> datetime:
        """The most recent due time at or before `now`."""
        seconds = interval(self.spec)
        if seconds is not None:
            periods = (now - EPOCH) // timedelta(seconds=seconds)
            return EPOCH + periods * timedelta(seconds=seconds)
        # A moment later, so that a due time exactly at `now` counts as passed.
        previous: datetime = croniter(self.spec, now + timedelta(microseconds=1)).get_prev(datetime)
        return previous


def interval(spec: str) -> float | None:
    try:
        return float(spec)
    except ValueError:
        return None


def parse_timing(spec: str) -> Timing:
    """A Timing, or ValueError naming what is wrong with `spec`."""
    seconds = interval(spec)
    if seconds is not None:
        if not seconds >= 1:
            raise ValueError(f"an interval is at least 1 second, not {spec!r}")
        return Timing(spec)
    if len(spec.split()) != 5 or not croniter.is_valid(spec):
        raise ValueError(
            f"{spec!r} is neither seconds nor a 5-field cron expression"
            " (minute hour day-of-month month day-of-week, UTC)"
        )
    return Timing(spec)
