import email.policy
import os
import tempfile
from email.message import EmailMessage
from pathlib import Path


def write_message(directory: Path, name: str, message: EmailMessage) -> Path:
    """Write `message` to directory/<name>.eml so readers never see a partial file."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{name}.eml"
    # The bytes an SMTP server would have received: CRLF line endings, headers encoded.
    content = message.as_bytes(policy=email.policy.SMTP)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".incoming-")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
