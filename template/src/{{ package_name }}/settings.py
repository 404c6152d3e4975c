"""Settings every generated service has, whichever features were chosen."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from .env_file import EnvFileSettings
from .logs import LogSettings


class CoreSettings(EnvFileSettings, LogSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    api_token: SecretStr | None = None
    max_body_bytes: int = Field(default=12 * 1_000_000 + 64 * 1024, ge=1)
    """The largest request body read, in bytes; a larger one is answered 413 before it is.

    Sized for the largest request any of the template's features accepts, the files
    feature's POST /files: 1,000,000 characters of content, each of which JSON may spell in
    up to 12 bytes (a character beyond the Basic Multilingual Plane escaped as a surrogate
    pair, `\\ud83d\\ude00`), plus 64 KiB for the file name, the keys and any spacing.
    """
    shutdown_timeout: int = Field(default=10, ge=0)
    job_retry_attempts: int = Field(default=4, ge=1)
    job_retry_base_delay: float = Field(default=0.5, ge=0)
    job_retry_max_delay: float = Field(default=30.0, ge=0)
