"""What a feature of this service brings: its endpoints and the resources it keeps open."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI

Resources = Callable[[FastAPI], AbstractAsyncContextManager[None]]


@dataclass(frozen=True)
class Feature:
    name: str
    router: APIRouter
    resources: Resources | None = None
    protected: bool = True
    """Whether its endpoints require the API token when one is set."""
