"""Prometheus metrics: GET /metrics, for every request, every job and the jobs store."""

from .feature import feature
from .settings import MetricsSettings
from .workers import share_between_workers

__all__ = ["MetricsSettings", "feature", "share_between_workers"]
