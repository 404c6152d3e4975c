from pydantic_settings import BaseSettings

from ..settings import Token


class MetricsSettings(BaseSettings):
    metrics_token: Token | None = None
    """When set, GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>` (not API_TOKEN);
    16 characters or more."""
