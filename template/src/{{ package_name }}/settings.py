"""Settings every generated service has, whichever features were chosen."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from .logs import LogSettings


class CoreSettings(LogSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    api_token: SecretStr | None = None
    shutdown_timeout: int = Field(default=10, ge=0)
    job_retry_attempts: int = Field(default=4, ge=1)
    job_retry_base_delay: float = Field(default=0.5, ge=0)
    job_retry_max_delay: float = Field(default=30.0, ge=0)
