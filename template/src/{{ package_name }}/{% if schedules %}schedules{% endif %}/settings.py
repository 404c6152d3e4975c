from typing import Annotated

from pydantic import AfterValidator
from pydantic_settings import BaseSettings

from .timing import parse_timing


def valid_timing(value: str) -> str:
    parse_timing(value)
    return value


TimingSpec = Annotated[str, AfterValidator(valid_timing)]


class SchedulesSettings(BaseSettings):
    schedule_prune_jobs: TimingSpec = "0 3 * * *"
    """When finished records older than JOBS_RETENTION_DAYS are pruned: cron (UTC) or seconds."""
