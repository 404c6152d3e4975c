"""A local SMTP server that takes DELAY seconds per message and logs what it received.

Run by bench/run.py in the generated project's environment (aiosmtpd is a dev dependency):
    python bench/tools/smtp_sink.py PORT DELAY LOG_FILE
Each accepted message appends one line to LOG_FILE: the time it was accepted
(time.time()), a space, and its Subject header. Subjects are unique per request in the
bench, so a subject seen twice is a message delivered twice.
"""

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

SUBJECT = b"\nsubject:"


def subject_of(content: bytes) -> str:
    """The Subject header, read without the `email` package (the sink must stay cheap)."""
    head = content.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n")
    start = head.lower().find(SUBJECT)
    if start < 0:
        return ""
    line = head[start + len(SUBJECT) :].split(b"\n", 1)[0]
    return line.strip().decode("utf-8", "replace")


class SlowSink:
    def __init__(self, delay: float, log: Path) -> None:
        self.delay = delay
        self.log = log.open("a", encoding="utf-8", buffering=1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        content = b"\n" + (envelope.original_content or envelope.content)
        self.log.write(f"{time.time():.6f} {subject_of(content)}\n")
        return "250 OK"


def main() -> None:
    port, delay, log = int(sys.argv[1]), float(sys.argv[2]), Path(sys.argv[3])
    controller = Controller(SlowSink(delay, log), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        sys.stdin.read()  # runs until bench/run.py closes our stdin or terminates us
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
