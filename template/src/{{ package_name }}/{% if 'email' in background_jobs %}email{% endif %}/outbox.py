import os
import tempfile
from pathlib import Path

from .message import Message


def write_message(directory: Path, name: str, message: Message) -> Path:
    """Write `message` to directory/<name>.eml so readers never see a partial file."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{name}.eml"
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".incoming-")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(message.content)  # the bytes an SMTP server would have received
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
