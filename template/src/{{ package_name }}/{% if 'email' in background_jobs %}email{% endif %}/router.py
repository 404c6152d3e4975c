from fastapi import APIRouter, BackgroundTasks

from ..feature import Feature
from ..jobs import IdempotencyDep, JobRunnerDep
from .jobs import SEND_EMAIL
from .mailer import open_mailer
from .schemas import EmailAccepted, EmailRequest

router = APIRouter(tags=["email"])


@router.post("/emails", status_code=202)
async def send_email(
    body: EmailRequest, tasks: BackgroundTasks, jobs: JobRunnerDep, idempotency: IdempotencyDep
) -> EmailAccepted:
    arguments = {"to": body.to, "subject": body.subject, "body": body.body}
    job_id = await jobs.schedule(tasks, SEND_EMAIL, arguments, idempotency, run_at=body.send_at)
    return EmailAccepted(job_id=job_id)


feature = Feature(name="email", router=router, resources=open_mailer, job_kinds=(SEND_EMAIL,))
