"""The job of POST /files: write one file into FILES_DIR."""

import asyncio

from fastapi import FastAPI

from ..jobs import Arguments, JobKind, JobResult
from .settings import FilesSettings
from .writer import write_atomically


async def write_file(app: FastAPI, arguments: Arguments) -> JobResult:
    settings: FilesSettings = app.state.settings
    path = await asyncio.to_thread(
        write_atomically, settings.files_dir, arguments["file_name"], arguments["content"]
    )
    return {"path": str(path)}


FILES_AT_ONCE = 8
"""File writes at once: each is a thread of the default pool, which other work shares."""

# Idempotent: the write is atomic, so running it again after a cut leaves the same file.
# Host-local: the file lands in this host's FILES_DIR.
WRITE_FILE = JobKind(
    "files", write_file, idempotent=True, concurrency=lambda _: FILES_AT_ONCE, host_local=True
)
