"""The 422 of a request that fails validation, whatever the request held.

FastAPI's own answer echoes each wrong input as it was parsed, and some parsed JSON cannot
be written back: a lone surrogate (`"\\ud800"`) cannot be encoded as UTF-8, and `NaN` or
`1e999` are not JSON numbers. Either made the answer itself fail with a 500. Here such
values are written as text; everything else is exactly FastAPI's answer.
"""

import math
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


def writable(value: Any) -> Any:
    """`value` with what JSON in UTF-8 cannot carry spelled out: `"\\\\ud800"`, `"nan"`."""
    if isinstance(value, str):
        return value.encode(errors="backslashreplace").decode()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {writable(key): writable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [writable(item) for item in value]
    return value


async def request_invalid(_: Request, error: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": writable(jsonable_encoder(error.errors()))}, status_code=422)
