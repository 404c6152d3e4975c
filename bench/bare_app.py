"""The baseline: a bare FastAPI app that accepts the same JSON body and does nothing with it.

Run by bench/run.py in the generated project's own environment, so every version matches.
BENCH_BODY_MODEL ("module:Class") names the request model the tracked endpoint validates
with, so both apps parse and validate the same body; the difference is the job machinery.
"""

import importlib
import os
import uuid
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel


def body_model() -> type[Any]:
    name = os.environ.get("BENCH_BODY_MODEL")
    if not name:
        return dict[str, Any]
    module, _, attribute = name.partition(":")
    model: type[BaseModel] = getattr(importlib.import_module(module), attribute)
    return model


Body = body_model()
app = FastAPI()


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/{path:path}", status_code=202)
async def accept(body: Body) -> dict[str, str]:  # type: ignore[valid-type]
    return {"job_id": uuid.uuid4().hex}
