"""Where a server's CPU goes per request: its threads' CPU time, and py-spy on the event loop.

Each thread's CPU comes from /proc/<pid>/task/<tid>/stat, read before and after the run:
the job store's database thread (named `job-store`) and the thread pool are measured, not
sampled. The event loop thread's CPU is split by `py-spy record --gil --threads` samples,
taken only while a thread holds the GIL: on one core, a thread merely woken (waiting for
the core or the GIL) would otherwise count as busy. In each sample, the innermost frame
that names a part decides it (`JobRunner.schedule` inside the middleware stack counts as
recording the job, not as middleware).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

DATABASE_THREAD = "job store's database thread"
OTHER_THREADS = "thread pool, other threads"
JOB = "the job, after the response"
RECORDING = "recording the job before the 202"
DEPENDENCIES = "validation and dependencies"
ENDPOINT = "endpoint and response"
MIDDLEWARE = "middleware"
SERVER = "uvicorn, uvloop, asyncio"
LOOP_PARTS = (JOB, RECORDING, DEPENDENCIES, ENDPOINT, MIDDLEWARE, SERVER)
PARTS = (DATABASE_THREAD, OTHER_THREADS, *LOOP_PARTS)

LOOP_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        JOB,
        (
            "JobRunner.run", "Attempts._attempt_until_done", "Attempts._tell_finished",
            "JobRunner._forget", "JobStore.started", "JobStore.finished", "Writer.run_durably",
            "Writer.submit_nowait", "JobMetrics.", "BackgroundTasks.__call__",
            "BackgroundTask.__call__",
        ),
    ),
    (RECORDING, ("JobRunner.schedule", "JobRunner._accept", "JobStore.add", "Writer.run")),
    (DEPENDENCIES, ("solve_dependencies", "request_body_to_args", "Request.body")),
    (ENDPOINT, ("run_endpoint_function", "serialize_response", "Response.__call__")),
    (SERVER, ("RequestResponseCycle.", "HttpToolsProtocol.", "H11Protocol.", "Server.")),
)  # fmt: skip
"""Checked frame by frame from the innermost; py-spy may show a coroutine's chain cut short
(a sample that starts at `JobStore.add`), so the job machinery's own frames are named too.
An event loop sample no marker claims counts as the loop's own work: uvloop running
callbacks, timers and wake-ups from other threads."""
THREAD = re.compile(r"thread \((\d+)\): ?(.*)")
DATABASE_THREAD_NAME = "job-store"


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) each live thread of `pid` has used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        seconds[int(task.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return seconds


def function(frame: str) -> str:
    """'Writer._serve (bench_service/jobs/store/record_writer.py:150)' -> 'Writer._serve'."""
    return frame.split(" (", 1)[0]


def loop_part(frames: list[str]) -> str:
    for name in reversed([function(frame) for frame in frames]):
        for part, markers in LOOP_MARKERS:
            if name.startswith(markers):
                return part
        if "Middleware.__call__" in name:
            return MIDDLEWARE
    return SERVER


def read_samples(path: Path) -> tuple[Counter[str], dict[int, str]]:
    """The event loop thread's samples by part, and every sampled thread's name by id."""
    parts: Counter[str] = Counter()
    names: dict[int, str] = {}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        thread, *frames = stack.split(";")
        match = THREAD.fullmatch(thread)
        if not match or not count.isdigit():
            continue
        names[int(match[1])] = match[2]
        if match[2] == "MainThread":
            parts[loop_part(frames)] += int(count)
    return parts, names


def per_request(
    samples: Path, before: dict[int, float], after: dict[int, float], requests: int
) -> dict[str, float]:
    """Microseconds of server CPU per request in each part."""
    loop_samples, names = read_samples(samples)
    spent = {tid: after[tid] - before.get(tid, 0.0) for tid in after}
    main = next((tid for tid, name in names.items() if name == "MainThread"), min(after))
    database = sum(t for tid, t in spent.items() if names.get(tid) == DATABASE_THREAD_NAME)
    others = max(0.0, sum(spent.values()) - spent.get(main, 0.0) - database)
    micro = 1e6 / requests
    result = {DATABASE_THREAD: database * micro, OTHER_THREADS: others * micro}
    total = sum(loop_samples.values())
    for part in LOOP_PARTS:
        share = loop_samples[part] / total if total else 0.0
        result[part] = share * spent.get(main, 0.0) * micro
    return result


def difference(ours: dict[str, float], theirs: dict[str, float]) -> list[tuple[str, float]]:
    """How much more (or less) each part costs in `ours`, largest difference first."""
    deltas = [(part, ours.get(part, 0.0) - theirs.get(part, 0.0)) for part in PARTS]
    return sorted(deltas, key=lambda item: -abs(item[1]))


def describe(deltas: list[tuple[str, float]], shown: int = 4) -> str:
    total = sum(delta for _, delta in deltas)
    parts = ", ".join(f"{part} {delta:+.0f}" for part, delta in deltas[:shown] if round(delta))
    return f"{total:+.0f} µs of server CPU per request: {parts}"
