"""The dashboard's sign-in: the API token, exchanged once for an HttpOnly session cookie.

The cookie holds an expiry and an HMAC of it keyed by the API token, never the token itself:
a new API_TOKEN signs every browser out, and every session ends on its own after a while.
"""

import hashlib
import hmac
import time

from pydantic import SecretStr

COOKIE = "dashboard_session"
LIFETIME_SECONDS = 12 * 60 * 60


def signature(token: SecretStr, expires: int) -> bytes:
    key = token.get_secret_value().encode()
    return hmac.new(key, f"dashboard session until {expires}".encode(), hashlib.sha256).digest()


def new_session(token: SecretStr, now: float | None = None) -> str:
    expires = int(time.time() if now is None else now) + LIFETIME_SECONDS
    return f"{expires}.{signature(token, expires).hex()}"


def is_valid(token: SecretStr, cookie: str | None, now: float | None = None) -> bool:
    """Whether `cookie` is a session this token signed that has not expired yet."""
    expires, _, signed = (cookie or "").partition(".")
    if not (expires.isdigit() and len(expires) <= 12):
        return False
    if int(expires) < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(signed.encode(), signature(token, int(expires)).hex().encode())
