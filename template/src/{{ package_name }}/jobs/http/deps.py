"""What the endpoints that start jobs depend on: the runner, and the `Idempotency-Key` header."""

import hashlib
from typing import Annotated

from fastapi import Depends, Header, Request

from ..runtime.idempotency import HEADER, MAX_LENGTH, Idempotency, canonical
from ..runtime.runner import JobRunner


# async: a plain `def` dependency would cost every request a trip through the thread pool.
async def get_job_runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.jobs
    return runner


JobRunnerDep = Annotated[JobRunner, Depends(get_job_runner)]


async def idempotency(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            min_length=1,
            max_length=MAX_LENGTH,
            pattern=r"^[\x21-\x7e]+$",
            description="Send the request again with the same key: it is carried out once.",
        ),
    ] = None,
) -> Idempotency | None:
    if key is None:
        return None
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode())
    digest.update(canonical(await request.body()))
    return Idempotency(key, digest.hexdigest())


IdempotencyDep = Annotated[Idempotency | None, Depends(idempotency)]
