"""What a feature of this service brings: endpoints, resources, a readiness check, error answers."""

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

Resources = Callable[[FastAPI], AbstractAsyncContextManager[None]]
ReadinessCheck = Callable[[FastAPI], Awaitable[str | None]]
"""None while the feature can serve; otherwise what stops it, in one line."""
ErrorHandler = Callable[[Request, Any], Awaitable[Response]]


@dataclass(frozen=True)
class Feature:
    name: str
    router: APIRouter | None = None
    resources: Resources | None = None
    protected: bool = True
    """Whether its endpoints require the API token when one is set."""
    ready: ReadinessCheck | None = None
    error_handlers: Mapping[type[Exception], ErrorHandler] = field(default_factory=dict)
