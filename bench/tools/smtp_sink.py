"""A local SMTP server that takes DELAY seconds per message and logs what it received.

Run by bench/run.py in the generated project's environment (aiosmtpd is a dev dependency):
    python bench/smtp_sink.py PORT DELAY LOG_FILE
Each accepted message appends one line to LOG_FILE: its Subject header.
"""

import asyncio
import email
import sys
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class SlowSink:
    def __init__(self, delay: float, log: Path) -> None:
        self.delay = delay
        self.log = log.open("a", encoding="utf-8", buffering=1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        self.log.write(f"{message.get('Subject', '')}\n")
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
