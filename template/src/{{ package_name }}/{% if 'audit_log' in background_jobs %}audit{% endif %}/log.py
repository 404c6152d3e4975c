"""The audit log file: one JSON object per line, appended, never rewritten."""

import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# One writer at a time in this process; O_APPEND puts every line at the end of the file
# even when several processes (uvicorn workers) append to the same log.
_writing = threading.Lock()


def encode(record: Mapping[str, Any]) -> bytes:
    """One line, whatever the record's strings hold.

    json.dumps escapes every control character, so no value can end the line early;
    ensure_ascii also escapes U+2028, U+0085 and the like, which some readers split on.
    """
    return (json.dumps(record, ensure_ascii=True) + "\n").encode("ascii")


def append(path: Path, record: Mapping[str, Any]) -> None:
    """Append `record` to the log as one line. Blocking: call it off the event loop."""
    line = encode(record)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _writing:
        # Opened per record, so a rotated log (logrotate, ...) is picked up at once.
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            written = os.write(descriptor, line)
        finally:
            os.close(descriptor)
    if written != len(line):
        raise OSError(f"only {written} of {len(line)} bytes reached {path} (disk full?)")
