"""One SMTP mail transaction, with the line drawn where a failure stops meaning "not sent".

aiosmtplib's `sendmail` waits for every reply with one timeout, and any failure looks the
same wherever it happened. Here MAIL, RCPT and DATA wait SMTP_TIMEOUT each: until the
server has said 354 and the message went out, it has nothing to deliver, and a failure is
safe to retry. Once the end of the data (CRLF.CRLF) is sent, the server may store the
message before it answers, and it may take 10 minutes to (RFC 5321, 4.5.3.2.6): the final
reply gets SMTP_DATA_TIMEOUT, and no reply, a lost connection or an unreadable reply is
OutcomeUnknownError — the message may have been delivered; sending it again could deliver
it twice.
"""

import re

import aiosmtplib
from aiosmtplib import SMTPResponse, SMTPStatus

from ..jobs import OutcomeUnknownError, describe
from .message import Message

LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)
END_OF_DATA = b".\r\n"
"""After the message's last CRLF: the line holding only a dot (RFC 5321, 4.1.1.4)."""


async def send_message(session: aiosmtplib.SMTP, message: Message, reply_timeout: float) -> None:
    """Deliver `message` through a connected session; OutcomeUnknownError once it is sent."""
    encoding = "utf-8" if message.utf8 else "ascii"
    options = await mail_options(session, message)
    await session.mail(message.sender, options=options, encoding=encoding)
    await session.rcpt(message.recipient, encoding=encoding)
    start = await session.execute_command(b"DATA")
    if start.code != SMTPStatus.start_input:
        raise aiosmtplib.SMTPDataError(start.code, start.message)
    reply = await send_data(session, message.content, reply_timeout)
    if reply.code != SMTPStatus.completed:
        raise aiosmtplib.SMTPDataError(reply.code, reply.message)  # 4xx: retried; 5xx: failed


async def mail_options(session: aiosmtplib.SMTP, message: Message) -> list[str]:
    """MAIL FROM's parameters: SMTPUTF8 when an address needs it, the size when announced."""
    if session.is_ehlo_or_helo_needed:  # the extensions are known after EHLO
        try:
            await session.ehlo()
        except aiosmtplib.SMTPHeloError:
            await session.helo()  # a server without extensions
    options = []
    if message.utf8:
        if not session.supports_extension("smtputf8"):
            raise aiosmtplib.SMTPNotSupported("SMTPUTF8 is not supported by this server")
        options.append("SMTPUTF8")
    if session.supports_extension("size"):
        options.append(f"SIZE={len(message.content)}")
    return options


async def send_data(session: aiosmtplib.SMTP, content: bytes, reply_timeout: float) -> SMTPResponse:
    """Send the message after the server's 354; wait up to `reply_timeout` for the reply.

    aiosmtplib's `data()` sends the DATA command and the message in one call, under one
    timeout, so the message goes through the session's protocol here (its public `write`
    and `read_response`). `content` has CRLF line endings and ends with one (message.py);
    a line that starts with a dot gets a second one, so that no line reads as the end.
    """
    protocol = session.protocol
    if protocol is None:
        raise aiosmtplib.SMTPServerDisconnected("Connection lost before the message was sent")
    protocol.write(LEADING_DOT.sub(b"..", content) + END_OF_DATA)
    try:
        return await protocol.read_response(timeout=reply_timeout)
    except aiosmtplib.SMTPTimeoutError as error:
        raise OutcomeUnknownError(
            f"may have been delivered: no reply to the end of DATA within {reply_timeout:g} s"
            f" ({describe(error)})"
        ) from error
    except (aiosmtplib.SMTPException, OSError) as error:
        raise OutcomeUnknownError(
            "may have been delivered: the message was sent, then the reply to the end of"
            f" DATA was lost ({describe(error)})"
        ) from error
