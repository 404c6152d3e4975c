"""Where the work lands, read after a run: the SMTP server's log, the jobs database, files."""

from __future__ import annotations

import collections
import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from processes import LOADGEN_CPU, background, free_port, pin
from project import OUT, TOOLS, Project


@contextlib.contextmanager
def smtp_server(project: Project, delay: float, log: Path) -> Iterator[int]:
    """tools/smtp_sink.py (aiosmtpd) on LOADGEN_CPU; yields its port."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    command = [str(project.python), str(TOOLS / "smtp_sink.py"), str(port), str(delay), str(log)]
    with background([*pin(LOADGEN_CPU), *command], OUT):
        yield port


def smtp_settings(port: int) -> dict[str, str]:
    # The local server speaks plain SMTP: no STARTTLS to upgrade to.
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "false"}


def received(log: Path) -> list[str]:
    """Subjects of the messages the SMTP server accepted, in order."""
    return [line.split(" ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()]


def received_at(log: Path, prefix: str) -> list[float]:
    """When each message whose subject starts with `prefix` was accepted (time.time())."""
    times = []
    for line in log.read_text(encoding="utf-8").splitlines():
        stamp, subject = line.split(" ", 1)
        if subject.startswith(prefix):
            times.append(float(stamp))
    return times


def duplicates(subjects: list[str]) -> int:
    """Messages received more than once (subjects are unique per request in the bench)."""
    return sum(count - 1 for count in collections.Counter(subjects).values() if count > 1)


def jobs_by_status(database: Path, kind: str | None = None) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        sql = "SELECT status, count(*) FROM jobs"
        rows = (
            connection.execute(sql + " WHERE kind = ? GROUP BY status", (kind,))
            if kind
            else connection.execute(sql + " GROUP BY status")
        )
        return dict(rows.fetchall())


def job_ids(database: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return {row[0] for row in connection.execute("SELECT id FROM jobs")}
