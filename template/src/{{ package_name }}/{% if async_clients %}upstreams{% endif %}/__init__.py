"""Outbound async HTTP: GET /aggregate asks every upstream at once; POST /register, a webhook."""

from .router import feature
from .settings import UpstreamSettings

__all__ = ["UpstreamSettings", "feature"]
