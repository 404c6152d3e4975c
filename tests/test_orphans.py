"""kill -9 of `serve` leaves no process behind: the report pool's workers, uvicorn's worker
processes and multiprocessing's resource tracker all end with it.

Without care they live on under PID 1: a worker waits forever on pipes it holds both ends
of, and the resource tracker waits for every holder of its pipe to be gone. Orphaned uvicorn
workers would even go on answering on the port and renewing their jobs' leases.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest
from conftest import shared_environment
from live_service import ALL_IN_PROCESS, Service, running, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="reads /proc; the signal is Linux's"),
]

BIG_REPORT = {"name": "big", "rows": 100_000}
"""Seconds of CPU work: the pool's worker is busy when the service is killed."""
GRACE = 2.0


def process_table() -> dict[int, tuple[int, str]]:
    """Every process on the machine: pid -> (parent pid, start time), from /proc/*/stat."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = stat_fields(int(entry.name))
            if fields is not None:
                table[int(entry.name)] = (int(fields[1]), fields[19])
    return table


def stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat from the state on (the name, in parentheses, may hold spaces)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone meanwhile
        return None
    return stat[stat.rindex(")") + 2 :].split()


def process_tree(root: int) -> dict[int, str]:
    """`root` and its descendants: pid -> start time (a pid reused later is another process)."""
    table = process_table()
    tree = {root: table[root][1]}
    added = True
    while added:
        children = {
            pid: started
            for pid, (parent, started) in table.items()
            if parent in tree and pid not in tree
        }
        tree.update(children)
        added = bool(children)
    return tree


def depth(pid: int, root: int) -> int:
    """How many parent links lead from `pid` up to `root`."""
    table = process_table()
    steps = 0
    while pid != root:
        if pid not in table or pid <= 1:
            return -1
        pid, steps = table[pid][0], steps + 1
    return steps


def alive(pid: int, started: str) -> bool:
    fields = stat_fields(pid)
    return fields is not None and fields[19] == started and fields[0] != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def survivors(tree: dict[int, str]) -> dict[int, str]:
    """The processes of `tree` still alive, with their command lines."""
    return {pid: command_line(pid) for pid, started in tree.items() if alive(pid, started)}


@pytest.fixture
def service(rendered, tmp_path: Path):
    project = rendered("all-in-process", ALL_IN_PROCESS)
    environment = shared_environment(ALL_IN_PROCESS["python_version"])
    service = Service(project, environment, tmp_path / "service", {"REPORT_PROCESSES": "1"})
    yield service
    service.kill_if_running()


def kill_mid_report_and_collect_survivors(service: Service, pool_depth: int) -> dict[int, str]:
    """Start a big report, SIGKILL `serve` once its pool worker runs, and return what of
    serve's process tree is still alive after GRACE seconds."""
    with running(service):
        assert service.process is not None
        serve = service.process.pid
        response = service.post("/reports", BIG_REPORT)
        assert response.status == 202, response
        service.wait_for_jobs([response.body["task_id"]], statuses={"running"})

        def pool_worker_started() -> bool:
            return any(
                "spawn_main" in command_line(pid) and depth(pid, serve) == pool_depth
                for pid in process_tree(serve)
            )

        wait_until(pool_worker_started, 30, "the report pool's worker process")
        tree = process_tree(serve)
        tracker = [pid for pid in tree if "resource_tracker" in command_line(pid)]
        assert tracker, {pid: command_line(pid) for pid in tree}

        code, _ = service.stop(signal.SIGKILL)
        assert code == -signal.SIGKILL

    deadline = time.monotonic() + GRACE
    while survivors(tree) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = survivors(tree)
    for pid in left:  # so that a failure does not leave them running either
        os.kill(pid, signal.SIGKILL)
    return left


def test_sigkill_of_serve_ends_the_report_pool_and_the_resource_tracker(service) -> None:
    assert kill_mid_report_and_collect_survivors(service, pool_depth=1) == {}


def test_sigkill_of_the_supervisor_ends_every_worker_process(service) -> None:
    service.arguments = ["--workers", "2"]

    assert kill_mid_report_and_collect_survivors(service, pool_depth=2) == {}
