import unicodedata
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    StringConstraints,
)

MAX_SUBJECT_CHARS = 200
MAX_BODY_CHARS = 100_000
"""The longest body POST /emails accepts, in characters; a longer one is a 422."""

# Control characters (CR, LF, NUL, ...) and Unicode line/paragraph separators.
LINE_BREAKING = {"Cc", "Zl", "Zp"}


def single_line(value: str) -> str:
    """Refuse anything that could end a header line and start another one."""
    if any(unicodedata.category(char) in LINE_BREAKING for char in value):
        raise ValueError("must be a single line without control characters")
    return value


Subject = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_SUBJECT_CHARS),
    AfterValidator(single_line),
]
Body = Annotated[str, StringConstraints(max_length=MAX_BODY_CHARS)]


class EmailRequest(BaseModel):
    # An unknown field ("cc", "bcc", ...) is an error, not something silently not done.
    model_config = ConfigDict(extra="forbid")

    to: EmailStr
    """Exactly one address: a list or a line break is a 422; a display name is dropped."""
    subject: Subject
    body: Body
    send_at: AwareDatetime | None = None
    """Not before this time (ISO 8601 with its offset); the message waits in the store."""


class EmailAccepted(BaseModel):
    job_id: str
