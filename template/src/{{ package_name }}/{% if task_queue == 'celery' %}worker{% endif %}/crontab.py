"""Schedule settings: a 5-field cron expression or a number of seconds between runs."""

from celery.schedules import crontab


def parse_schedule(value: str) -> crontab | float:
    """`"30 3 * * *"` (minute hour day-of-month month day-of-week, UTC) or `"3600"` (seconds)."""
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if seconds <= 0:
            raise ValueError(f"an interval must be a positive number of seconds, not {value!r}")
        return seconds
    fields = value.split()
    if len(fields) != 5:
        raise ValueError(
            f"{value!r} is neither seconds nor a 5-field cron expression "
            "(minute hour day-of-month month day-of-week)"
        )
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    try:
        return crontab(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
        )
    except Exception as error:  # celery raises ValueError or its own ParseException
        raise ValueError(f"{value!r} is not a valid cron expression: {error}") from None
