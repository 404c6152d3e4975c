"""What a user writes with BackgroundTasks + fastapi-mail (its documented usage).

One ConnectionConfig and FastMail for the app; POST /emails builds a MessageSchema and
adds `fm.send_message` to the response's BackgroundTasks. Same SMTP server as the tracked
service (BENCH_SMTP_PORT, plain SMTP on loopback, no credentials), same request model.
"""

import importlib
import os
import uuid
from typing import Any

from fastapi import BackgroundTasks, FastAPI
from fastapi_mail import ConnectionConfig, FastMail, MessageSchema, MessageType

package = os.environ["BENCH_PACKAGE"]
EmailRequest: Any = importlib.import_module(f"{package}.email.schemas").EmailRequest

conf = ConnectionConfig(
    MAIL_USERNAME="",
    MAIL_PASSWORD="",
    MAIL_FROM="noreply@example.com",
    MAIL_PORT=int(os.environ["SMTP_PORT"]),
    MAIL_SERVER=os.environ["SMTP_HOST"],
    MAIL_STARTTLS=False,
    MAIL_SSL_TLS=False,
    USE_CREDENTIALS=False,
    VALIDATE_CERTS=False,
)
fm = FastMail(conf)
app = FastAPI()


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/emails", status_code=202)
async def send_email(body: EmailRequest, background_tasks: BackgroundTasks) -> dict[str, str]:
    message = MessageSchema(
        subject=body.subject, recipients=[body.to], body=body.body, subtype=MessageType.plain
    )
    background_tasks.add_task(fm.send_message, message)
    return {"job_id": uuid.uuid4().hex}
