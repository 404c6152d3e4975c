"""Sentry error reporting: each failed job once, and unhandled request errors (SENTRY_DSN)."""

from .feature import feature
from .settings import SentrySettings

__all__ = ["SentrySettings", "feature"]
