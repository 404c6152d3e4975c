import re
from pathlib import Path
from typing import Annotated

from email_validator import validate_email
from pydantic import AfterValidator, Field, SecretStr
from pydantic_settings import BaseSettings

HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def sender_address(value: str) -> str:
    """An address on any host name, internal ones included (`noreply@mail.corp.local`,
    `alerts@ci.test`, `root@localhost`).

    email-validator refuses special-use domains (`.local`, `.test`, `localhost`) and host names
    without a dot, because the internet cannot deliver to them; an intranet's own mail server
    can, and the sender is the operator's choice. The part before the @ gets email-validator's
    full check; the host name must be a valid DNS name.
    """
    local, at, domain = value.rpartition("@")
    if not at:
        raise ValueError("must be an address like name@host")
    validate_email(f"{local}@example.com", check_deliverability=False)
    host = domain.lower().encode("idna").decode("ascii")
    if len(host) > 253 or not all(HOST_LABEL.match(label) for label in host.split(".")):
        raise ValueError(f"{domain!r} is not a valid host name")
    return f"{local}@{host}"


SenderAddress = Annotated[str, AfterValidator(sender_address)]


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
    """Seconds to wait for the connection and for each reply of the server, but one:"""
    smtp_data_timeout: float = Field(default=600.0, gt=0)
    """Seconds to wait for the reply to the end of a message (RFC 5321 allows 10 minutes).

    The server may store the message before it answers: without an answer, the job is
    recorded `uncertain` (may have been delivered) and never sent again by itself."""
    smtp_max_connections: int = Field(default=10, ge=1)
    """SMTP connections open at once; further messages wait (`running`) for one to close."""
    email_from: SenderAddress = "noreply@example.com"
    """The sender; internal host names (`.local`, `.test`, `localhost`) are accepted."""
