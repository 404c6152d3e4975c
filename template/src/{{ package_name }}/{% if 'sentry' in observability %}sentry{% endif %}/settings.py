from pydantic_settings import BaseSettings


class SentrySettings(BaseSettings):
    sentry_dsn: str | None = None
    """The project's DSN in Sentry, where errors are sent; unset, nothing is reported."""
    sentry_environment: str | None = None
    """The environment events are filed under (production, staging, ...); unset, production."""
