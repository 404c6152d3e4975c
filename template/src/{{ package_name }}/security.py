"""The optional bearer token that guards every endpoint but the health checks and docs."""

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

bearer = HTTPBearer(auto_error=False)


def token_matches(expected: SecretStr, given: str) -> bool:
    """In constant time, so the answer's timing tells nothing about the token."""
    return secrets.compare_digest(given.encode(), expected.get_secret_value().encode())


def check_bearer(
    expected: SecretStr | None, credentials: HTTPAuthorizationCredentials | None
) -> None:
    """401 unless the request bears `expected`; anything passes while it is not set."""
    if expected is None:
        return
    if not token_matches(expected, credentials.credentials if credentials else ""):
        raise HTTPException(
            401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
        )


# async: a plain `def` dependency would cost every request a trip through the thread pool.
async def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    check_bearer(request.app.state.settings.api_token, credentials)
