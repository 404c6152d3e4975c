"""Tracked background jobs: every job kind of this service goes through the runner."""

from .feature import feature

__all__ = ["feature"]
