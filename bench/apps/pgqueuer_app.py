"""pgqueuer on PostgreSQL: POST /empty enqueues the no-op job, POST /email the email job
(mail.py); its worker runs them.

Worker: `python -m pgqueuer_app`, which is `pgq run pgqueuer_app:create_pgqueuer` through
`pgqueuer.run`, the supervisor the CLI calls, with the CLI's defaults (its `run` command
fails before starting in pgqueuer 1.6.0 with the installed typer: the log level arrives
as text). The factory is the one its docs show (an async context manager: one asyncpg
connection, an entrypoint per job); the schema is installed with `pgq install`. The web
app enqueues through an asyncpg pool.
"""

import asyncio
import importlib
import json
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from mail import send
from pgqueuer import AsyncpgDriver, AsyncpgPoolDriver, Job, PgQueuer, Queries, run
from stamps import stamp

package = os.environ["BENCH_PACKAGE"]
EmailRequest: Any = importlib.import_module(f"{package}.email.schemas").EmailRequest
DSN = os.environ["BENCH_POSTGRES_URL"]


@asynccontextmanager
async def create_pgqueuer() -> AsyncIterator[PgQueuer]:
    connection = await asyncpg.connect(DSN)
    pgq = PgQueuer(AsyncpgDriver(connection))

    @pgq.entrypoint("nothing")
    async def nothing(job: Job) -> None:
        data = json.loads(job.payload or b"{}")
        stamp(data["subject"], data["accepted"])

    @pgq.entrypoint("email")
    async def email(job: Job) -> None:
        data = json.loads(job.payload or b"{}")
        await send(data["to"], data["subject"], data["body"])

    try:
        yield pgq
    finally:
        await connection.close()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with asyncpg.create_pool(DSN) as pool:
        app.state.queries = Queries(AsyncpgPoolDriver(pool))
        yield


app = FastAPI(lifespan=lifespan)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/empty", status_code=202)
async def empty(body: EmailRequest, request: Request) -> dict[str, str]:
    payload = json.dumps({"subject": body.subject, "accepted": time.time()}).encode()
    ids = await request.app.state.queries.enqueue("nothing", payload)
    return {"job_id": str(ids[0])}


@app.post("/email", status_code=202)
async def send_email(body: EmailRequest, request: Request) -> dict[str, str]:
    payload = json.dumps({"to": body.to, "subject": body.subject, "body": body.body}).encode()
    ids = await request.app.state.queries.enqueue("email", payload)
    return {"job_id": str(ids[0])}


if __name__ == "__main__":
    asyncio.run(run(create_pgqueuer))
