import os
import re
import tempfile
from pathlib import Path

from .schemas import SAFE_FILE_NAME

safe_file_name = re.compile(SAFE_FILE_NAME)


def write_atomically(directory: Path, file_name: str, content: str) -> Path:
    """Write `content` to directory/file_name so readers never see a partial file."""
    # Checked again here, for a job whose arguments come back from the store. A pattern,
    # not Path.resolve(): resolving both paths costs a syscall per path segment per file.
    if not safe_file_name.fullmatch(file_name):
        raise ValueError(f"{file_name!r} would leave {directory}")
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / file_name
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".incoming-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(content)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
