"""What a feature brings: endpoints, resources, a readiness check, error answers, middleware,
and the pruning of its own tables."""

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.types import ASGIApp

if TYPE_CHECKING:  # the jobs package builds features of its own
    from .jobs import JobKind, PruneTable

Resources = Callable[[FastAPI], AbstractAsyncContextManager[None]]
ReadinessCheck = Callable[[FastAPI], Awaitable[str | None]]
"""None while the feature can serve; otherwise what stops it, in one line."""
ReadinessInfo = Callable[[FastAPI], Awaitable[Mapping[str, str | int | None]]]
"""What GET /health/ready shows of a feature without failing on it: the state of something only
part of the API needs (the broker, for reports alone), or a count."""
ErrorHandler = Callable[[Request, Any], Awaitable[Response]]
Middleware = Callable[[ASGIApp], ASGIApp]
"""Pure ASGI middleware: takes the app inside it, is called for every request."""


@dataclass(frozen=True)
class Feature:
    name: str
    router: APIRouter | None = None
    job_kinds: tuple["JobKind", ...] = ()
    """The kinds of job it schedules: any process can run them again from their records."""
    resources: Resources | None = None
    protected: bool = True
    """Whether its endpoints require the API token when one is set."""
    ready: ReadinessCheck | None = None
    ready_info: ReadinessInfo | None = None
    error_handlers: Mapping[type[Exception], ErrorHandler] = field(default_factory=dict)
    middleware: tuple[Middleware, ...] = ()
    prune_tables: tuple["PruneTable", ...] = ()
    """Its own tables in the jobs store: pruned with the finished job records
    (jobs/runtime/retention.py), in each batch's transaction, past the same age."""
