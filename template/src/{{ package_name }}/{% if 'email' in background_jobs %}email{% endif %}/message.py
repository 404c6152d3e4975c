"""A message as an SMTP server receives it, built straight from already-validated values.

The inputs are checked before they get here: the recipient by `EmailStr` (one address),
the subject by `single_line` (no CR, LF or other line breaks), the sender at start-up. So
the headers are written as they are, without the `email` package's header registry, which
builds a header class and runs the address and date parsers for every header of every
message (it cost more CPU than the whole request). Anything outside plain ASCII is still
encoded the standard way: the subject as an RFC 2047 encoded word, the body in base64.
"""

import base64
from dataclasses import dataclass
from email.header import Header
from email.utils import formatdate, make_msgid

LINE_LIMIT = 998
"""The longest line SMTP and RFC 5322 allow, in octets, without its CRLF."""
HEADER_WIDTH = 78


@dataclass(frozen=True)
class Message:
    sender: str
    recipient: str
    content: bytes
    """Headers and body, CRLF line endings: what the server receives, what the outbox keeps."""

    @property
    def utf8(self) -> bool:
        """An address outside ASCII: needs the server's SMTPUTF8 (RFC 6531)."""
        return not (self.sender.isascii() and self.recipient.isascii())


def header(name: str, value: str) -> str:
    """`Name: value`, encoded and folded only when it must be."""
    if value.isascii() and len(name) + 2 + len(value) <= HEADER_WIDTH:
        return f"{name}: {value}"
    charset = "us-ascii" if value.isascii() else "utf-8"
    encoded = Header(value, charset, header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}"


def body_part(body: str) -> tuple[str, bytes]:
    """The body's Content-Transfer-Encoding and its bytes, ending with a line break."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()
    if body.isascii() and all(len(line) <= LINE_LIMIT for line in lines):
        return "7bit", "".join(line + "\r\n" for line in lines).encode("ascii")
    text = "".join(line + "\n" for line in lines).encode("utf-8")
    return "base64", base64.encodebytes(text).replace(b"\n", b"\r\n")


def compose(sender: str, to: str, subject: str, body: str) -> Message:
    encoding, content = body_part(body)
    head = "\r\n".join(
        (
            # Addresses as they are: encoded words are not allowed in an address, and one
            # outside ASCII goes out as UTF-8 with SMTPUTF8 (RFC 6532).
            f"From: {sender}",
            f"To: {to}",
            header("Subject", subject),
            f"Date: {formatdate(localtime=True)}",
            f"Message-ID: {make_msgid(domain=sender.rpartition('@')[2])}",
            "MIME-Version: 1.0",
            'Content-Type: text/plain; charset="utf-8"',
            f"Content-Transfer-Encoding: {encoding}",
        )
    )
    return Message(sender, to, head.encode("utf-8") + b"\r\n\r\n" + content)
