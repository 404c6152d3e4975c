from pydantic import SecretStr
from pydantic_settings import BaseSettings


class MetricsSettings(BaseSettings):
    metrics_token: SecretStr | None = None
    """When set, GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>` (not API_TOKEN)."""
