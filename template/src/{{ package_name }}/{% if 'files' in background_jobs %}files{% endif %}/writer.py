import os
import tempfile
from pathlib import Path


def write_atomically(directory: Path, file_name: str, content: str) -> Path:
    """Write `content` to directory/file_name so readers never see a partial file."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / file_name
    if target.resolve().parent != directory.resolve():
        raise ValueError(f"{file_name!r} would leave {directory}")
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".incoming-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(content)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
