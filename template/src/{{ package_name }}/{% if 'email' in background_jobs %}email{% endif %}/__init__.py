"""Email: POST /emails sends a message after the response, through SMTP or into OUTBOX_DIR."""

from .router import feature
from .settings import EmailSettings

__all__ = ["EmailSettings", "feature"]
