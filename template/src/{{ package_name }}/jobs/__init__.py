"""Tracked background jobs: every job kind of this service goes through the runner."""

from .feature import feature
from .retention import feature as retention_feature
from .settings import JobsSettings

__all__ = ["JobsSettings", "feature", "retention_feature"]
