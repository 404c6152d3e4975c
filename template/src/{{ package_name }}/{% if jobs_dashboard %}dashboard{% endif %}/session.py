"""The dashboard's sign-in: the API token, exchanged once for a session kept in the jobs store.

Each sign-in gets a random session id, which only the browser holds (an HttpOnly cookie).
The store keeps an HMAC of that id keyed by the API token, and when it expires: a copy of
the table opens nothing, a new API_TOKEN matches no session any more (every browser signs
in again), and signing out deletes the row, so the cookie is refused by every process that
shares the store. Expired rows are deleted at each sign-in.
"""

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from pydantic import SecretStr

from ..jobs import WRITE_DEADLINE, Connection, Database, JobStore, now

COOKIE = "dashboard_session"
LIFETIME_SECONDS = 12 * 60 * 60
WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{43}")
"""What `secrets.token_urlsafe(32)` gives; any other cookie is no session, unread."""


def session_hash(token: SecretStr, session_id: str) -> str:
    key = token.get_secret_value().encode()
    return hmac.new(key, session_id.encode(), hashlib.sha256).hexdigest()


async def start(store: JobStore, token: SecretStr) -> str:
    """A new session for a browser that gave the right token: its id, for the cookie."""
    session_id = secrets.token_urlsafe(32)
    started = now()
    expires = started + timedelta(seconds=LIFETIME_SECONDS)
    key, db = session_hash(token, session_id), store.database

    def insert(connection: Connection) -> None:
        db.execute(connection, "DELETE FROM dashboard_sessions WHERE expires_at < ?", (started,))
        db.execute(
            connection,
            "INSERT INTO dashboard_sessions (session_hash, created_at, expires_at)"
            " VALUES (?, ?, ?)",
            (key, started, expires),
        )

    await store.writer.run(insert, WRITE_DEADLINE)
    return session_id


async def is_valid(store: JobStore, token: SecretStr, cookie: str | None) -> bool:
    """Whether `cookie` names a session started with this token that has not ended."""
    if cookie is None or not WELL_FORMED.fullmatch(cookie):
        return False
    key, db, at = session_hash(token, cookie), store.database, now()
    return await store.read(lambda connection: is_open(db, connection, key, at))


def is_open(db: Database, connection: Connection, key: str, at: datetime) -> bool:
    row = db.execute(
        connection,
        "SELECT 1 FROM dashboard_sessions WHERE session_hash = ? AND expires_at > ?",
        (key, at),
    ).fetchone()
    return row is not None


async def end(store: JobStore, token: SecretStr, cookie: str | None) -> None:
    """Sign out: the session is deleted, whichever process is asked next."""
    if cookie is None or not WELL_FORMED.fullmatch(cookie):
        return
    key, db = session_hash(token, cookie), store.database
    await store.writer.run(
        lambda connection: db.execute(
            connection, "DELETE FROM dashboard_sessions WHERE session_hash = ?", (key,)
        ),
        WRITE_DEADLINE,
    )
