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


# Idempotent: the write is atomic, so running it again after a cut leaves the same file.
WRITE_FILE = JobKind("files", write_file, idempotent=True)
