"""Composing this service's email and delivering it: through SMTP, or into the outbox."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiosmtplib
from fastapi import FastAPI

from ..jobs import JobResult, RetryPolicy, backoff, point_of_no_return
from ..settings import CoreSettings
from .message import Message, compose
from .outbox import write_message
from .settings import EmailSettings
from .transaction import send_message

logger = logging.getLogger(__name__)

QUIT_SECONDS = 2.0
"""At shutdown, how long an idle session gets to say goodbye (QUIT) before it is closed."""


def is_transient(error: BaseException) -> bool:
    """Worth another try: the server was unreachable, too slow, or answered 4xx.

    Only failures before the message was handed over get here: after the end of its data,
    the transaction raises OutcomeUnknownError, which is never retried (transaction.py).
    """
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return 400 <= error.code < 500
    # Connection refused or lost, and timeouts (aiosmtplib's errors subclass these).
    return isinstance(error, ConnectionError | TimeoutError)


def smtp_retry(settings: CoreSettings) -> RetryPolicy:
    return backoff(settings, is_transient)


class SMTPSessions:
    """At most SMTP_MAX_CONNECTIONS sessions with SMTP_HOST, kept open between messages.

    Opening a session (connect, EHLO, STARTTLS, AUTH) costs more than sending a message
    through it, so a session that delivered a message waits in the pool for the next one.
    Before its next message it is reset (RSET); one the server closed while it waited is
    replaced by a fresh connection before anything is sent. A session that failed in any
    way is closed, never reused. A server that accepts connections and never answers gets
    at most SMTP_MAX_CONNECTIONS of them, each given up after SMTP_TIMEOUT. The reply to
    a message's end waits SMTP_DATA_TIMEOUT: a slow relay may store it before it answers.
    """

    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings
        self._slots = asyncio.Semaphore(settings.smtp_max_connections)
        self._idle: list[aiosmtplib.SMTP] = []

    async def send(self, message: Message) -> None:
        async with self._slots:
            session = await self._ready_session()
            try:
                await send_message(session, message, self.settings.smtp_data_timeout)
            except BaseException:
                session.close()
                raise
            self._idle.append(session)

    async def _ready_session(self) -> aiosmtplib.SMTP:
        """A session ready for the message, with the job recorded past its point of no return.

        Waiting for a free session sent nothing: until then a shutdown gives the job back to
        run again. The job's `running` record is committed while the session is reset (or
        opened), one wait instead of two in a row; from then on the message may go out.
        """
        opening = asyncio.create_task(self._session())
        try:
            await point_of_no_return()
        except BaseException:
            opening.cancel()
            with contextlib.suppress(BaseException):
                (await opening).close()
            raise
        return await opening

    async def _session(self) -> aiosmtplib.SMTP:
        while self._idle:
            session = self._idle.pop()
            try:
                await session.rset()
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
                # Closed by the server while idle (or it answers RSET with an error): nothing
                # of the message was sent yet, so a new session takes it.
                logger.debug("SMTP session not reusable, opening another one: %s", error)
                session.close()
                continue
            except BaseException:  # cancelled: the session's state is unknown
                session.close()
                raise
            return session
        return await self._connect()

    async def _connect(self) -> aiosmtplib.SMTP:
        settings = self.settings
        assert settings.smtp_host is not None
        password = settings.smtp_password
        session = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=password.get_secret_value() if password else None,
            # True: upgrade with STARTTLS or fail, never send in the clear.
            start_tls=settings.smtp_starttls,
            timeout=settings.smtp_timeout,
        )
        try:
            await session.connect()
        except BaseException:
            session.close()
            raise
        return session

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for session in idle:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(session.quit(), QUIT_SECONDS)
            session.close()


class Mailer:
    """Sends messages as jobs: through SMTP_HOST, or as .eml files while it is not set."""

    def __init__(self, settings: EmailSettings, retry: RetryPolicy) -> None:
        self.settings = settings
        self.retry = retry
        self.sessions = SMTPSessions(settings)

    def compose(self, to: str, subject: str, body: str) -> Message:
        return compose(self.settings.email_from, to, subject, body)

    async def deliver(self, message: Message, name: str) -> JobResult:
        settings = self.settings
        if not settings.smtp_host:
            await point_of_no_return()  # the file may be there as soon as it is written
            path = await asyncio.to_thread(write_message, settings.outbox_dir, name, message)
            return {"outbox": str(path)}
        await self.sessions.send(message)
        return {"smtp_host": settings.smtp_host}

    async def close(self) -> None:
        await self.sessions.close()


@asynccontextmanager
async def open_mailer(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    if settings.smtp_host:
        logger.info("email goes through %s:%d", settings.smtp_host, settings.smtp_port)
    else:
        logger.info("no SMTP_HOST: email is written as .eml files to %s", settings.outbox_dir)
    app.state.mailer = mailer = Mailer(settings, smtp_retry(settings))
    try:
        yield
    finally:
        await mailer.close()
