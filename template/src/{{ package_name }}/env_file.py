"""Which `.env` the settings read: the working directory's, or else the project's.

So that the CLI run from another directory (`jobs list`) reads the settings the service
started from the project reads: the project is the folder of the nearest pyproject.toml above
this package (a checkout, or an image that keeps the project's folder).
"""

from pathlib import Path

from pydantic_settings import BaseSettings, DotEnvSettingsSource, PydanticBaseSettingsSource

ENV_FILE = Path(".env")


def project_env_file() -> Path | None:
    here = Path(__file__).resolve().parent
    for folder in here.parents:
        if (folder / "pyproject.toml").is_file():
            return folder / ENV_FILE
    return None


def located_env_file() -> Path:
    """`.env` in the working directory if there is one, else the project's (if any)."""
    if ENV_FILE.is_file():
        return ENV_FILE
    return project_env_file() or ENV_FILE


class EnvFileSettings(BaseSettings):
    """Settings whose `env_file=".env"` means the `.env` that `located_env_file` finds; any
    other `_env_file` given (None, a test's own file) is read as it is."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        if isinstance(dotenv_settings, DotEnvSettingsSource) and dotenv_settings.env_file in (
            ".env",
            ENV_FILE,
        ):
            dotenv_settings = DotEnvSettingsSource(settings_cls, env_file=located_env_file())
        return init_settings, env_settings, dotenv_settings, file_secret_settings
