from fastapi import APIRouter, BackgroundTasks

from ..feature import Feature
from ..jobs.deps import JobRunnerDep
from .mailer import MailerDep, open_mailer
from .schemas import EmailAccepted, EmailRequest

router = APIRouter(tags=["email"])


@router.post("/emails", status_code=202)
async def send_email(
    body: EmailRequest, tasks: BackgroundTasks, jobs: JobRunnerDep, mailer: MailerDep
) -> EmailAccepted:
    job_id = await mailer.schedule(jobs, tasks, body.to, body.subject, body.body)
    return EmailAccepted(job_id=job_id)


feature = Feature(name="email", router=router, resources=open_mailer)
