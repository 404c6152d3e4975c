"""Tracked background jobs: every job kind of this service goes through the runner."""

from .feature import feature
from .settings import JobsSettings

__all__ = ["JobsSettings", "feature"]
