"""Audit log: POST /signup appends one JSON record per line to LOG_FILE after the response."""

from .router import feature
from .settings import AuditSettings

__all__ = ["AuditSettings", "feature"]
