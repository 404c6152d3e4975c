from typing import Annotated

from pydantic import BaseModel, StringConstraints

MAX_CONTENT_CHARS = 1_000_000

SAFE_FILE_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$"
"""One path segment of ordinary characters, not starting with a dot: it cannot name a
parent (`..`), a hidden file, an absolute path or another directory."""
SafeFileName = Annotated[str, StringConstraints(pattern=SAFE_FILE_NAME)]


class FileRequest(BaseModel):
    file_name: SafeFileName
    content: Annotated[str, StringConstraints(max_length=MAX_CONTENT_CHARS)]


class FileAccepted(BaseModel):
    job_id: str
    file_name: str
