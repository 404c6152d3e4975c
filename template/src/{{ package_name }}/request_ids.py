"""X-Request-ID: taken from the caller when it is a sane value, made up otherwise, returned.

The id is set in `context.request_id` for the whole ASGI call, so every log line of the
request carries it, and so do its background jobs: they run inside the same call, after
the response, and inherit the context.
"""

import os
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .context import request_id

HEADER = "X-Request-ID"
SANE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
"""What an incoming id may be: short, and nothing that could forge a log line or a header."""


def incoming_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            return value.decode() if SANE_ID.fullmatch(value) else None
    return None


class RequestIdMiddleware:
    """Pure ASGI (not BaseHTTPMiddleware): one contextvar and one header, nothing in between."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        this_id = incoming_id(scope) or os.urandom(16).hex()  # uuid4().hex's randomness, cheaper
        header = (b"x-request-id", this_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        token = request_id.set(this_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)
