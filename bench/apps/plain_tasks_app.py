"""What a user writes with FastAPI's plain BackgroundTasks, no tracking at all.

POST /empty: an empty `async def` job after the response (the machinery alone).
POST /files: the FastAPI docs' pattern, a `def` task (FastAPI runs it in the thread pool)
that writes the file atomically, as the generated service does: a temporary file in the
same directory, then `os.replace`. Both validate the generated service's own models.
"""

import importlib
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from fastapi import BackgroundTasks, FastAPI

package = os.environ["BENCH_PACKAGE"]
EmailRequest: Any = importlib.import_module(f"{package}.email.schemas").EmailRequest
FileRequest: Any = importlib.import_module(f"{package}.files.schemas").FileRequest
FILES_DIR = Path(os.environ["FILES_DIR"])

app = FastAPI()


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


async def nothing() -> None:
    return None


@app.post("/empty", status_code=202)
async def empty(body: EmailRequest, background_tasks: BackgroundTasks) -> dict[str, str]:
    background_tasks.add_task(nothing)
    return {"job_id": uuid.uuid4().hex}


def write_file(file_name: str, content: str) -> None:
    FILES_DIR.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=FILES_DIR, prefix=".incoming-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(content)
        os.replace(temporary, FILES_DIR / file_name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@app.post("/files", status_code=202)
async def create_file(body: FileRequest, background_tasks: BackgroundTasks) -> dict[str, str]:
    background_tasks.add_task(write_file, body.file_name, body.content)
    return {"job_id": uuid.uuid4().hex, "file_name": body.file_name}
