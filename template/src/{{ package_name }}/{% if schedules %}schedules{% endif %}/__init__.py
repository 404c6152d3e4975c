"""Schedules: periodic jobs declared in code, each due time run once across every process."""

from .feature import feature
from .settings import SchedulesSettings

__all__ = ["SchedulesSettings", "feature"]
