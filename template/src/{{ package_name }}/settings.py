"""Settings every generated service has, whichever features were chosen."""

from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr, ValidationError
from pydantic_core import PydanticCustomError
from pydantic_settings import SettingsConfigDict

from .env_file import EnvFileSettings
from .logs import LogSettings

MIN_TOKEN_LENGTH = 16


def long_enough(token: SecretStr) -> SecretStr:
    """An empty or short token would look set and guard nothing worth guarding."""
    if len(token.get_secret_value()) < MIN_TOKEN_LENGTH:
        raise PydanticCustomError(
            "token_too_short",
            "needs {minimum} characters or more (unset it to leave it off; an empty value"
            " is not unset)",
            {"minimum": MIN_TOKEN_LENGTH},
        )
    return token


Token = Annotated[SecretStr, AfterValidator(long_enough)]
"""A bearer token from the environment: refused at start-up when empty or short."""


class CoreSettings(EnvFileSettings, LogSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    api_token: Token | None = None
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


def problems(error: ValidationError) -> list[str]:
    """One line per invalid setting, named as in the environment; never the value given
    (it may be a secret)."""
    lines = []
    for problem in error.errors(include_url=False, include_input=False):
        setting = "_".join(str(part) for part in problem["loc"]).upper()
        lines.append(f"{setting}: {problem['msg']}" if setting else problem["msg"])
    return lines
