"""Celery on Redis: POST /reports enqueue latency vs GET /health, and request-to-SUCCESS."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import time
import urllib.error
import urllib.request
from typing import Any

from load import percentile
from processes import LOADGEN_CPU, Server, background, free_port, pin, serve, wait_for
from project import OUT, PACKAGE, Project
from report import Report

REPORT_BODY = '{"name": "bench", "rows": 100}'
DONE = {"succeeded", "failed", "interrupted"}


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def post_json(url: str, body: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def timed_gets(url: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        get_json(url)
        times.append((time.perf_counter() - started) * 1000)
    return times


def report_state(server: Server, task_id: str) -> str:
    """The report's state; "unknown" while the result backend has not heard of it yet (404)."""
    try:
        return str(get_json(f"{server.url}/reports/{task_id}")["state"])
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return "unknown"
        raise


def redis_reachable(host: str = "127.0.0.1", port: int = 6379) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def celery(project: Project, report: Report, count: int, redis_url: str) -> None:
    """POST /reports enqueue latency vs GET /health, and request-to-SUCCESS time, on Redis."""
    if not (project.path / "src" / PACKAGE / "worker").exists():
        report.add("celery", "not measured", "the rendered project has no Celery worker yet")
        report.unmet.append(
            "Celery figures not measured: the Celery feature was not in the template"
        )
        return
    if not redis_reachable():
        report.add("celery", "not measured", "no Redis on 127.0.0.1:6379")
        report.unmet.append("Celery figures not measured: no Redis on 127.0.0.1:6379")
        return
    workdir = OUT / "celery"
    shutil.rmtree(workdir, ignore_errors=True)
    env = project.env(workdir, BROKER_URL=redis_url, RESULT_BACKEND=redis_url)
    worker = [*pin(LOADGEN_CPU), str(project.python), "-m", PACKAGE, "worker"]
    app_cmd = project.uvicorn(f"{PACKAGE}.app:create_app", "--factory")
    with (
        background(worker, workdir, env, log=workdir / "worker.log"),
        serve("tracked", app_cmd, workdir, env, free_port()) as server,
    ):
        _, first = post_json(server.url + "/reports", REPORT_BODY)  # worker up, connections warm
        wait_for(lambda: report_state(server, first["task_id"]) in DONE, timeout=120)
        enqueue, end_to_end, health = [], [], timed_gets(server.url + "/health", count)
        for _ in range(count):
            started = time.perf_counter()
            status, body = post_json(server.url + "/reports", REPORT_BODY)
            enqueue.append((time.perf_counter() - started) * 1000)
            if status != 202:
                report.unmet.append(f"celery: POST /reports answered {status}: {body}")
                return
            while (state := report_state(server, body["task_id"])) not in DONE:
                time.sleep(0.002)
            end_to_end.append((time.perf_counter() - started) * 1000)
            if state != "succeeded":
                report.unmet.append(f"celery: a report ended {state}")
    for label, values in (
        ("GET /health", health),
        ("POST /reports (enqueue)", enqueue),
        ("request -> SUCCESS (succeeded)", end_to_end),
    ):
        report.add(
            "celery (Redis)",
            f"{label}: p50, p99 ({count} sequential)",
            f"{percentile(values, 50):.1f} ms, {percentile(values, 99):.1f} ms",
        )
        report.latency_series[f"Celery: {label}"] = values
