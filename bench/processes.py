"""Processes of a bench run: pinned to a core, started, waited for, measured, stopped.

The server under test runs on SERVER_CPU; everything that makes load or answers it (wrk,
the async client, the SMTP server, the Celery worker) runs on LOADGEN_CPU.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SERVER_CPU, LOADGEN_CPU = 0, 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pin(cpu: int | str) -> list[str]:
    """taskset prefix that pins a process to one core, or a list of them like "0,1" (when
    the machine has two or more)."""
    if (os.cpu_count() or 1) < 2 or not shutil.which("taskset"):
        return []
    return ["taskset", "-c", str(cpu)]


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited {process.returncode} before serving")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
            if response.status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def core_times() -> dict[int, tuple[int, int]]:
    """(busy, total) clock ticks of every core so far, from /proc/stat."""
    times = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if name.startswith("cpu") and name != "cpu":
            ticks = [int(value) for value in values[:8]]
            idle = ticks[3] + ticks[4]  # idle + iowait
            times[int(name[3:])] = (sum(ticks) - idle, sum(ticks))
    return times


def core_busy(before: dict[int, tuple[int, int]], after: dict[int, tuple[int, int]]) -> list[float]:
    """Share of each core that was busy (any process) between two core_times() readings."""
    shares = []
    for core in sorted(after):
        busy = after[core][0] - before[core][0]
        total = after[core][1] - before[core][1]
        shares.append(busy / total if total else 0.0)
    return shares


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    workdir: Path


@contextlib.contextmanager
def serve(
    name: str,
    command: list[str],
    workdir: Path,
    env: dict[str, str],
    port: int,
    cpu: int | str = SERVER_CPU,
) -> Iterator[Server]:
    """A uvicorn server on SERVER_CPU (or `cpu`), up (GET /health answers 200) until the
    block ends."""
    workdir.mkdir(parents=True, exist_ok=True)
    log = (workdir / f"{name}.log").open("wb")
    process = subprocess.Popen(
        [*pin(cpu), *command, "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/health", process)
        yield Server(name, url, process, workdir)
    finally:
        stop(process)
        log.close()


def stop(process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout` s (this PID only)."""
    if process.poll() is None:
        process.send_signal(signal.SIGCONT)  # in case a phase paused it
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def background(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A helper process; without a `log` file it must print one line once it is ready."""
    cwd.mkdir(parents=True, exist_ok=True)
    output = log.open("wb") if log else subprocess.PIPE
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.PIPE,
        stdout=output,
        stderr=subprocess.STDOUT if log else None,
    )
    try:
        if process.stdout is not None:
            process.stdout.readline()
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(predicate: object, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    check = predicate if callable(predicate) else (lambda: predicate)
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return bool(check())
