"""Load generation: wrk for rates and latency, the async client where every response counts.

Both run on LOADGEN_CPU. wrk's body template may hold "{i}": tools/post.lua numbers each
request, so every message and file of a run is told apart at its destination.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from processes import LOADGEN_CPU, Server, core_busy, core_times, cpu_seconds, pin
from project import OUT, TOOLS, Project


@dataclass
class LoadResult:
    target: str
    connections: int
    requests: int
    seconds: float
    non2xx: int
    socket_errors: int
    percentiles_ms: dict[str, float]
    loadgen_cpu: float
    server_cpu: float
    cores_busy: list[float] = field(default_factory=list)
    """Share of each core busy during the run (every process on it, not only ours)."""
    started: float = 0.0
    """time.time() when wrk started (the SMTP server's log is stamped the same way)."""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def accepted(self) -> int:
        return self.requests - self.non2xx


def wrk(
    server: Server,
    path: str,
    body: str,
    connections: int,
    seconds: int,
    target: str | None = None,
) -> LoadResult:
    """Run wrk (one thread, on its own core) against the server; CPU use of both is measured."""
    command = [
        *pin(LOADGEN_CPU), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(TOOLS / "post.lua"), server.url + path,
    ]  # fmt: skip
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = cpu_seconds(server.process.pid)
    cores_before, started = core_times(), time.time()
    output = subprocess.run(
        command, env={**os.environ, "WRK_BODY": body}, capture_output=True, text=True, check=True
    ).stdout
    cores_after = core_times()
    server_after = cpu_seconds(server.process.pid)
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(line for line in output.splitlines() if line.startswith("WRK "))
    data = json.loads(line[4:])
    wall = data["duration_us"] / 1e6
    loadgen = (after_children.ru_utime + after_children.ru_stime) - (
        before_children.ru_utime + before_children.ru_stime
    )
    return LoadResult(
        target=target or server.name,
        connections=connections,
        requests=data["requests"],
        seconds=wall,
        non2xx=data["non2xx"],
        socket_errors=data["socket_errors"] + data["timeouts"],
        percentiles_ms={
            key: data[f"{key}_us"] / 1000 for key in ("p50", "p75", "p90", "p99", "p999", "max")
        },
        loadgen_cpu=loadgen / wall,
        server_cpu=(server_after - server_before) / wall,
        cores_busy=core_busy(cores_before, cores_after),
        started=started,
    )


def client(
    project: Project, server: Server, path: str, count: int, concurrency: int, template: str
) -> dict[str, Any]:
    """Send `count` requests with the async client; every response is kept."""
    with tempfile.NamedTemporaryFile(suffix=".json", dir=OUT, delete=False) as handle:
        out = Path(handle.name)
    subprocess.run(
        [*pin(LOADGEN_CPU), str(project.python), str(TOOLS / "client.py"), server.url, path,
         str(count), str(concurrency), template, str(out)],
        check=True,
    )  # fmt: skip
    data: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    return data


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def latencies_ms(data: dict[str, Any]) -> list[float]:
    return [seconds * 1000 for _, status, seconds, _ in data["results"] if status < 300]
