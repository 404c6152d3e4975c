"""Composing this service's email and delivering it: through SMTP, or into the outbox."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Annotated

import aiosmtplib
from fastapi import BackgroundTasks, Depends, FastAPI, Request

from ..jobs.retry import RetryPolicy, backoff
from ..jobs.runner import JobResult, JobRunner
from ..settings import CoreSettings
from .outbox import write_message
from .settings import EmailSettings

logger = logging.getLogger(__name__)


def is_transient(error: BaseException) -> bool:
    """Worth another try: the server was unreachable, too slow, or answered 4xx."""
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return 400 <= error.code < 500
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(400 <= refusal.code < 500 for refusal in error.recipients)
    # Connection refused or lost, and timeouts (aiosmtplib's errors subclass these).
    return isinstance(error, ConnectionError | TimeoutError)


def smtp_retry(settings: CoreSettings) -> RetryPolicy:
    return backoff(settings, is_transient)


class Mailer:
    """Sends messages as jobs: through SMTP_HOST, or as .eml files while it is not set."""

    def __init__(self, settings: EmailSettings, retry: RetryPolicy) -> None:
        self.settings = settings
        self.retry = retry
        # A server that accepts connections and never answers must not take every file
        # descriptor of the process: each connection waits for a slot, at most
        # SMTP_TIMEOUT per reply, and gives it back.
        self._connections = asyncio.Semaphore(settings.smtp_max_connections)

    def compose(self, to: str, subject: str, body: str) -> EmailMessage:
        sender = self.settings.email_from
        message = EmailMessage()
        message["From"] = sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
        message.set_content(body)
        return message

    async def schedule(
        self,
        jobs: JobRunner,
        tasks: BackgroundTasks,
        to: str,
        subject: str,
        body: str,
        kind: str = "email",
    ) -> str:
        """Compose and send a message after the response, retrying transient failures.

        Composing costs more CPU than the rest of the request (the stdlib builds a header
        object per header), so it happens in the job, off the event loop, not before the 202.
        """

        async def send() -> JobResult:
            # Runs after the response, when `job_id` below is bound: the outbox file is
            # named after the job that wrote it.
            message = await asyncio.to_thread(self.compose, to, subject, body)
            return await self.deliver(message, job_id)

        job_id = await jobs.schedule(tasks, kind, send, self.retry)
        return job_id

    async def deliver(self, message: EmailMessage, name: str) -> JobResult:
        settings = self.settings
        if not settings.smtp_host:
            path = await asyncio.to_thread(write_message, settings.outbox_dir, name, message)
            return {"outbox": str(path)}
        async with self._connections:
            await self._send(message)
        return {"smtp_host": settings.smtp_host}

    async def _send(self, message: EmailMessage) -> None:
        settings = self.settings
        assert settings.smtp_host is not None
        password = settings.smtp_password
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=password.get_secret_value() if password else None,
            start_tls=settings.smtp_starttls,
            timeout=settings.smtp_timeout,
        )


@asynccontextmanager
async def open_mailer(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    if settings.smtp_host:
        logger.info("email goes through %s:%d", settings.smtp_host, settings.smtp_port)
    else:
        logger.info("no SMTP_HOST: email is written as .eml files to %s", settings.outbox_dir)
    app.state.mailer = Mailer(settings, smtp_retry(settings))
    yield


async def get_mailer(request: Request) -> Mailer:
    mailer: Mailer = request.app.state.mailer
    return mailer


MailerDep = Annotated[Mailer, Depends(get_mailer)]
