import asyncio

from fastapi import APIRouter, BackgroundTasks, Request

from ..feature import Feature
from ..jobs.deps import JobRunnerDep
from .schemas import FileAccepted, FileRequest
from .settings import FilesSettings
from .writer import write_atomically

router = APIRouter(tags=["files"])


@router.post("/files", status_code=202)
async def create_file(
    body: FileRequest, tasks: BackgroundTasks, jobs: JobRunnerDep, request: Request
) -> FileAccepted:
    settings: FilesSettings = request.app.state.settings

    async def write() -> dict[str, str]:
        path = await asyncio.to_thread(
            write_atomically, settings.files_dir, body.file_name, body.content
        )
        return {"path": str(path)}

    job_id = await jobs.schedule(tasks, "files", write)
    return FileAccepted(job_id=job_id, file_name=body.file_name)


feature = Feature(name="files", router=router)
