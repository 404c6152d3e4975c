"""The job-systems phase's email job, the same in every peer: one message to the local SMTP
server (bench/tools/smtp_sink.py, port BENCH_SMTP_PORT), one SMTP session per message, as a
job written without a pooled mailer sends it (`aiosmtplib.send`; Celery's prefork worker,
whose task is a plain `def`, uses the standard library's `smtplib`). The tracked runner
sends through the generated service's own email job instead (POST /emails).
"""

import os
import smtplib
from email.message import EmailMessage

import aiosmtplib

HOST = "127.0.0.1"


def message(to: str, subject: str, body: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "bench@example.com"
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content(body)
    return mail


async def send(to: str, subject: str, body: str) -> None:
    port = int(os.environ["BENCH_SMTP_PORT"])
    await aiosmtplib.send(message(to, subject, body), hostname=HOST, port=port, start_tls=False)


def send_blocking(to: str, subject: str, body: str) -> None:
    with smtplib.SMTP(HOST, int(os.environ["BENCH_SMTP_PORT"]), timeout=10) as session:
        session.send_message(message(to, subject, body))
