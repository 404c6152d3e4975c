"""Email delivery through a slow SMTP server, and POST /emails latency while it is slow."""

from __future__ import annotations

import contextlib
import shutil
import time

from destinations import received, smtp_server, smtp_settings
from load import client, latencies_ms, percentile
from processes import free_port, serve, wait_for
from project import OUT, PACKAGE, Project
from report import Report

EMAIL_BODY = '{"to": "someone@example.com", "subject": "bench {i}", "body": "Hello from bench."}'


def delivery(project: Project, report: Report, count: int) -> None:
    """Emails/s delivered through a 50 ms SMTP server; POST latency with a 1 s one.

    Each scenario: 100 requests one at a time (latency without queueing), then `count`
    requests over 20 connections (a burst that saturates the server's core).
    """
    app_cmd = project.uvicorn(f"{PACKAGE}.app:create_app", "--factory")
    single: dict[str, list[float]] = {}
    for label, delay in (("outbox", None), ("SMTP 50 ms", 0.05), ("SMTP 1 s", 1.0)):
        workdir = OUT / f"delivery-{delay}"
        shutil.rmtree(workdir, ignore_errors=True)
        log = workdir / "received.txt"
        with contextlib.ExitStack() as stack:
            settings: dict[str, str] = {}
            if delay is not None:
                port = stack.enter_context(smtp_server(project, delay, log))
                settings = smtp_settings(port)
            env = project.env(workdir, **settings)
            server = stack.enter_context(serve("tracked", app_cmd, workdir, env, free_port()))
            one_by_one = client(project, server, "/emails", 100, 1, EMAIL_BODY)
            single[label] = latencies_ms(one_by_one)
            started = time.perf_counter()
            burst = client(project, server, "/emails", count, 20, EMAIL_BODY)
            accepted = sum(1 for _, status, _, _ in burst["results"] if status == 202)
            if delay is not None:
                wait_for(lambda: len(received(log)) >= accepted + 100, timeout=120)  # noqa: B023
                elapsed = time.perf_counter() - started
                delivered = len(received(log)) - 100
                if delay == 0.05:
                    report.add(
                        "delivery",
                        f"{count} emails in a burst via a {label} server: delivered, rate",
                        f"{delivered}, {delivered / elapsed:.0f} emails/s (first request to last"
                        " delivery)",
                    )
                if delivered != accepted:
                    report.unmet.append(f"delivery {label}: {delivered} of {accepted} delivered")
        ones, ms = single[label], latencies_ms(burst)
        report.add(
            "delivery",
            f"POST /emails, {label}: p50, p99 one at a time; in the burst (20 conns)",
            f"{percentile(ones, 50):.1f} ms, {percentile(ones, 99):.1f} ms; "
            f"{percentile(ms, 50):.1f} ms, {percentile(ms, 99):.1f} ms",
        )
        report.latency_series[f"POST /emails one at a time, {label}"] = ones
    slow, fast = percentile(single["SMTP 1 s"], 50), percentile(single["SMTP 50 ms"], 50)
    report.add(
        "delivery", "p50 one at a time: 1 s SMTP server / 50 ms SMTP server", f"{slow / fast:.2f}x"
    )
    if slow > 2 * fast:
        report.unmet.append(
            f"POST /emails p50 grew from {fast:.1f} to {slow:.1f} ms with a 1 s SMTP server"
        )
