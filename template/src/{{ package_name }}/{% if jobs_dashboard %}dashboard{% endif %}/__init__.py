"""The live jobs dashboard: GET /dashboard, a page that polls the jobs store every second."""

from .feature import feature

__all__ = ["feature"]
