"""Request bodies bounded before they are read: their size (MAX_BODY_BYTES) and JSON nesting.

A body declared larger than the limit is refused (413) before a byte of it is read; a chunked
one is read only until its running total passes the limit. A JSON body nested deeper than
MAX_JSON_DEPTH is refused (400) before anything parses it: Python's json recurses once per
level, and a body of 100,000 `[` would otherwise end in a RecursionError.
"""

import re
from array import array
from itertools import accumulate

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_JSON_DEPTH = 64
"""Far more than any request of this service needs, far less than the parser's recursion."""

ESCAPE = re.compile(rb"\\.", re.DOTALL)
DEPTH_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
"""Opening brackets step the depth up (1), closing ones down (0xff: -1 as a signed byte)."""
NOT_A_BRACKET = bytes(set(range(256)) - set(b"[]{}"))


def nests_deeper_than(limit: int, body: bytes) -> bool:
    """Whether JSON `body` opens more than `limit` brackets at once, outside its strings.

    Linear, in C loops only: escapes out, then every other piece between quotes (a string),
    then everything but brackets; the depth is the running sum of what is left.
    """
    if body.count(b"[") + body.count(b"{") <= limit:  # the usual body: nothing to scan
        return False
    outside_strings = b"".join(ESCAPE.sub(b"", body).split(b'"')[::2])
    steps = array("b", outside_strings.translate(None, NOT_A_BRACKET).translate(DEPTH_STEPS))
    deepest: int = max(accumulate(steps), default=0)
    return deepest > limit


def is_json(scope: Scope) -> bool:
    """Whether FastAPI would parse the body as JSON: a JSON media type, or none at all."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            media_type: bytes = value.split(b";", 1)[0].strip().lower()
            return media_type == b"application/json" or media_type.endswith(b"+json")
    return True


def declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None  # the server refuses a malformed one
    return None


class BodyTooLargeError(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than MAX_BODY_BYTES ({limit} bytes)")


class NestedTooDeepError(HTTPException):
    def __init__(self) -> None:
        super().__init__(400, f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")


class BodyLimitMiddleware:
    """Pure ASGI: counts the body as the application receives it, and stops it at the limit.

    The errors are raised from `receive`, inside whoever reads the body: FastAPI passes an
    HTTPException on to its handler, which answers it; one that comes back out is answered
    here, unless the response has started.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = declared_length(scope)
        if length is not None and length > self.max_bytes:
            await self.refuse(BodyTooLargeError(self.max_bytes), scope, receive, send)
            return
        json_chunks: list[bytes] | None = [] if is_json(scope) else None
        received = 0
        started = False

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                chunk: bytes = message.get("body", b"")
                received += len(chunk)
                if received > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
                if json_chunks is not None:
                    json_chunks.append(chunk)
                    if not message.get("more_body", False):
                        body = b"".join(json_chunks)
                        json_chunks.clear()  # the application keeps its own copy, not this one
                        self.check_nesting(body)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded_receive, watched_send)
        except (BodyTooLargeError, NestedTooDeepError) as error:
            if started:
                raise
            await self.refuse(error, scope, receive, send)

    @staticmethod
    def check_nesting(body: bytes) -> None:
        if nests_deeper_than(MAX_JSON_DEPTH, body):
            raise NestedTooDeepError

    @staticmethod
    async def refuse(error: HTTPException, scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse({"detail": error.detail}, error.status_code)(scope, receive, send)
