from typing import Annotated, Any, Literal

from pydantic import BaseModel, StringConstraints


class UpstreamAnswer(BaseModel):
    url: str
    ok: Literal[True] = True
    status_code: int
    elapsed_ms: float
    data: Any


class UpstreamFailure(BaseModel):
    url: str
    ok: Literal[False] = False
    status_code: int | None
    """The upstream's status when it answered at all (a 500, a body that is not JSON)."""
    elapsed_ms: float
    error: str


UpstreamResult = UpstreamAnswer | UpstreamFailure


class Registration(BaseModel):
    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150)]


class RegistrationAccepted(BaseModel):
    job_id: str
