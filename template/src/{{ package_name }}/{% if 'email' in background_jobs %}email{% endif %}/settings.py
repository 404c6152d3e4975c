from pathlib import Path

from pydantic import EmailStr, Field, SecretStr
from pydantic_settings import BaseSettings


class EmailSettings(BaseSettings):
    outbox_dir: Path = Path("var/outbox")
    """Where messages are written as .eml files while no SMTP_HOST is set."""
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    """Upgrade the connection with STARTTLS, and refuse to send if the server cannot."""
    smtp_timeout: float = Field(default=10.0, gt=0)
    """Seconds to wait for the connection and for each reply of the server."""
    email_from: EmailStr = "noreply@example.com"
