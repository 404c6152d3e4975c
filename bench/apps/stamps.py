"""The job-systems phase's no-op job: its only work tells when it ran, the same in every system.

Each job appends one line, "<subject> <accepted> <done>" (time.time() stamps), to the file
named by BENCH_STAMPS with a single os.write on a descriptor opened once per process
(O_APPEND: lines of concurrent processes never interleave). The bench reads it for the
completed jobs/s, accept-to-done latency, and which accepted jobs a kill -9 lost.
"""

import os
import time

_descriptor: int | None = None


def stamp(subject: str, accepted: float) -> None:
    global _descriptor
    if _descriptor is None:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
        _descriptor = os.open(os.environ["BENCH_STAMPS"], flags, 0o644)
    line = f"{subject.replace(' ', '_')} {accepted:.6f} {time.time():.6f}\n"
    os.write(_descriptor, line.encode())
