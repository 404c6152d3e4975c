from typing import Annotated

from pydantic import BaseModel, EmailStr, StringConstraints

# Any characters at all: the audit log stays one record per line whatever a username holds.
Username = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Signup(BaseModel):
    username: Username
    email: EmailStr


class SignupAccepted(BaseModel):
    username: str
    job_ids: list[str]
