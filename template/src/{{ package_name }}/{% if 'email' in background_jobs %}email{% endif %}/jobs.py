"""The job of POST /emails: deliver one message, through SMTP or into the outbox."""

from fastapi import FastAPI

from .. import context
from ..jobs import Arguments, JobKind, JobResult, RetryPolicy
from .mailer import Mailer
from .settings import EmailSettings


async def send_email(app: FastAPI, arguments: Arguments) -> JobResult:
    mailer: Mailer = app.state.mailer
    message = mailer.compose(arguments["to"], arguments["subject"], arguments["body"])
    job_id = context.job_id.get()
    assert job_id is not None  # set by the runner for every job
    return await mailer.deliver(message, job_id)  # an outbox file is named after its job


def smtp_retry(app: FastAPI) -> RetryPolicy:
    mailer: Mailer = app.state.mailer
    return mailer.retry


def smtp_sessions(app: FastAPI) -> int:
    """As many at once as SMTP sessions may be open: no job waits for one while running."""
    settings: EmailSettings = app.state.settings
    return settings.smtp_max_connections


def email_kind(name: str) -> JobKind:
    # Not idempotent: cut off while sending, the message may have gone out already. Until
    # it has an SMTP session, nothing was sent: the mailer marks that point.
    return JobKind(
        name,
        send_email,
        idempotent=False,
        retry=smtp_retry,
        marks_point_of_no_return=True,
        cannot_undo="an email handed over cannot be unsent",
        concurrency=smtp_sessions,
    )


SEND_EMAIL = email_kind("email")
