from fastapi import APIRouter, BackgroundTasks

from ..feature import Feature
from ..jobs import IdempotencyDep, JobRunnerDep
from .jobs import WRITE_FILE
from .schemas import FileAccepted, FileRequest

router = APIRouter(tags=["files"])


@router.post("/files", status_code=202)
async def create_file(
    body: FileRequest, tasks: BackgroundTasks, jobs: JobRunnerDep, idempotency: IdempotencyDep
) -> FileAccepted:
    arguments = {"file_name": body.file_name, "content": body.content}
    job_id = await jobs.schedule(tasks, WRITE_FILE, arguments, idempotency)
    return FileAccepted(job_id=job_id, file_name=body.file_name)


feature = Feature(name="files", router=router, job_kinds=(WRITE_FILE,))
