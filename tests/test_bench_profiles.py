"""The bench's account of where a server's CPU goes (bench/profiles.py), on made-up samples."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import profiles

REQUEST = "RequestResponseCycle.run_asgi (uvicorn/protocols/http/httptools_impl.py:401)"
MIDDLEWARE = "RequestIdMiddleware.__call__ (svc/request_ids.py:47)"
ROUTE = "request_response.<locals>.app (fastapi/routing.py:175)"
SAMPLES = [
    # The event loop: 6 samples in all.
    f"thread (100): MainThread;{REQUEST};{MIDDLEWARE};{ROUTE};"
    "run_endpoint_function (fastapi/routing.py:300);job_only (app.py:47);"
    "JobRunner.schedule (svc/jobs/runtime/runner.py:84);"
    "Writer.run (svc/jobs/store/record_writer.py:106) 2",
    f"thread (100): MainThread;{REQUEST};{MIDDLEWARE};{ROUTE};"
    "BackgroundTasks.__call__ (starlette/background.py:40);"
    "JobRunner.run (svc/jobs/runtime/runner.py:178) 1",
    f"thread (100): MainThread;{REQUEST};{MIDDLEWARE} 1",
    f"thread (100): MainThread;{REQUEST};{MIDDLEWARE};{ROUTE};"
    "solve_dependencies (fastapi/dependencies/utils.py:823) 1",
    "thread (100): MainThread;HttpToolsProtocol.data_received (uvicorn/httptools_impl.py:174) 1",
    # Other threads: named, so their /proc CPU can be told apart; their samples don't count.
    "thread (101): job-store;Thread._bootstrap (threading.py:1030);Writer._serve (w.py:150) 9",
    "thread (102): uvloop_0;Thread._bootstrap (threading.py:1030);_worker (thread.py:89) 9",
]


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    path = tmp_path / "profile.txt"
    path.write_text("\n".join(SAMPLES) + "\n")
    return path


def test_each_part_gets_its_share_of_the_event_loop_and_each_thread_its_own_cpu(
    samples: Path,
) -> None:
    before = {100: 1.0, 101: 0.5, 102: 0.0}
    after = {100: 1.6, 101: 0.7, 102: 0.1, 103: 0.05}  # 103 started during the run

    parts = profiles.per_request(samples, before, after, requests=1000)

    # 0.6 s of event loop over 1000 requests = 600 µs, split 2:1:1:1:1 by the samples.
    assert parts[profiles.RECORDING] == pytest.approx(200)
    assert parts[profiles.JOB] == pytest.approx(100)
    assert parts[profiles.MIDDLEWARE] == pytest.approx(100)
    assert parts[profiles.DEPENDENCIES] == pytest.approx(100)
    assert parts[profiles.SERVER] == pytest.approx(100)
    assert parts[profiles.ENDPOINT] == 0
    assert parts[profiles.DATABASE_THREAD] == pytest.approx(200)
    assert parts[profiles.OTHER_THREADS] == pytest.approx(150)
    assert sum(parts.values()) == pytest.approx(950)


def test_a_difference_names_the_parts_that_cost_more_largest_first() -> None:
    ours = {profiles.DATABASE_THREAD: 47.0, profiles.JOB: 17.0, profiles.SERVER: 140.0}
    theirs = {profiles.JOB: 3.0, profiles.SERVER: 132.0}

    deltas = profiles.difference(ours, theirs)

    assert deltas[:3] == [
        (profiles.DATABASE_THREAD, 47.0),
        (profiles.JOB, 14.0),
        (profiles.SERVER, 8.0),
    ]
    assert profiles.describe(deltas).startswith("+69 µs of server CPU per request: ")
