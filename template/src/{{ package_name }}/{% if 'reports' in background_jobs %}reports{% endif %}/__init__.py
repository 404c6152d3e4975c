"""Reports: POST /reports builds a CSV file off the event loop; GET /reports/{task_id} tracks it."""

from .router import feature
from .settings import ReportsSettings

__all__ = ["ReportsSettings", "feature"]
