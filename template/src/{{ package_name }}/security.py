"""The optional bearer token that guards every endpoint but the health checks and docs.

Checked in ASGI middleware, before anything reads the request's body: FastAPI reads and
parses a body before it solves any dependency, so a check written as one would let a
caller without the token make the service read 400 MB first. The features that are not
under the token (health, the dashboard with its own sign-in, the metrics with their own
token) say so: `Feature.protected`.
"""

import re
import secrets
from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .feature import Feature
from .throttle import FailureThrottle

bearer = HTTPBearer(auto_error=False)
THROTTLE_PURPOSE = "bearer"
UNAUTHORIZED = "missing or wrong bearer token"


def token_matches(expected: SecretStr, given: str | bytes) -> bool:
    """In constant time, so the answer's timing tells nothing about the token."""
    given_bytes = given if isinstance(given, bytes) else given.encode()
    return secrets.compare_digest(given_bytes, expected.get_secret_value().encode())


def check_bearer(
    expected: SecretStr | None, credentials: HTTPAuthorizationCredentials | None
) -> None:
    """401 unless the request bears `expected`; anything passes while it is not set."""
    if expected is None:
        return
    if not token_matches(expected, credentials.credentials if credentials else ""):
        raise HTTPException(401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})


# async: a plain `def` dependency would cost every request a trip through the thread pool.
async def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """For endpoints that take the token besides a credential of their own (the dashboard's)."""
    check_bearer(request.app.state.settings.api_token, credentials)


def protected_paths(features: Iterable[Feature]) -> list[re.Pattern[str]]:
    """The path patterns of every endpoint under the token."""
    return [
        route.path_regex
        for feature in features
        if feature.protected and feature.router is not None
        for route in feature.router.routes
        if isinstance(route, Route | Mount)
    ]


def route_path(scope: Scope) -> str:
    """The path the routes match: without the root path a proxy may serve the service under."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path + "/"):
        return path[len(root_path) :]
    return path


def bearer_token(scope: Scope) -> bytes | None:
    """What `Authorization: Bearer <token>` gives; b"" for another scheme, None without one."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            return token if scheme.lower() == b"bearer" else b""
    return None


class BearerGuard:
    """Pure ASGI: 401 without the token, 429 for an address that has guessed too often."""

    def __init__(
        self,
        app: ASGIApp,
        token: SecretStr,
        protected: list[re.Pattern[str]],
        throttle: FailureThrottle,
    ) -> None:
        self.app = app
        self.token = token
        self.protected = protected
        self.throttle = throttle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.protects(route_path(scope)):
            await self.app(scope, receive, send)
            return
        address = scope["client"][0] if scope.get("client") else ""
        wait = self.throttle.retry_after(THROTTLE_PURPOSE, address)
        if wait is not None:
            detail = f"too many wrong bearer tokens from {address}: try again in {wait} s"
            refusal = JSONResponse({"detail": detail}, 429, {"Retry-After": str(wait)})
            await refusal(scope, receive, send)
            return
        given = bearer_token(scope)
        if given is not None and token_matches(self.token, given):
            await self.app(scope, receive, send)
            return
        if given is not None:  # a guess; a request without any token guesses nothing
            self.throttle.failed(THROTTLE_PURPOSE, address)
        refusal = JSONResponse({"detail": UNAUTHORIZED}, 401, {"WWW-Authenticate": "Bearer"})
        await refusal(scope, receive, send)

    def protects(self, path: str) -> bool:
        return any(pattern.match(path) for pattern in self.protected)
