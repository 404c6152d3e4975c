from typing import Annotated

from pydantic import AfterValidator, Field, HttpUrl, TypeAdapter, ValidationError, field_validator
from pydantic_settings import BaseSettings

_http_url = TypeAdapter(HttpUrl)


def check_http_url(url: str) -> str:
    """Accept only an absolute http(s) URL, and keep it exactly as it was configured."""
    try:
        _http_url.validate_python(url)
    except ValidationError:
        raise ValueError(f"{url!r} is not an absolute http(s) URL") from None
    return url


HttpUrlText = Annotated[str, AfterValidator(check_http_url)]


class UpstreamSettings(BaseSettings):
    upstream_urls: list[HttpUrlText] = []
    """The upstreams GET /aggregate asks, as a JSON list: ["https://a.example/x", ...]."""
    admin_webhook_url: HttpUrlText | None = None
    """Where POST /register announces new users; unset, the job records that nothing was sent."""
    http_timeout: float = Field(default=5.0, gt=0)
    """Seconds one outbound request may take (one upstream of /aggregate, start to finish)."""
    http_connect_timeout: float = Field(default=2.0, gt=0)

    @field_validator("admin_webhook_url", mode="before")
    @classmethod
    def blank_means_unset(cls, value: object) -> object:
        return None if value == "" else value
