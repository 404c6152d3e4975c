"""No loss: thousands of POST /emails and POST /files; then every message, file and job."""

from __future__ import annotations

import collections
import json
import shutil
from pathlib import Path

from destinations import job_ids, jobs_by_status, received, smtp_server, smtp_settings
from load import client
from processes import free_port, serve, wait_for
from project import OUT, PACKAGE, Project
from report import Report

EMAIL_BODY = '{"to": "someone@example.com", "subject": "bench {i}", "body": "Hello from bench."}'
FILE_BODY = '{"file_name": "file-{i}.txt", "content": "content of file {i}"}'


def no_loss(project: Project, report: Report, count: int) -> None:
    """Thousands of POST /emails and POST /files; then every message, file and job is checked."""
    workdir = OUT / "no-loss"
    shutil.rmtree(workdir, ignore_errors=True)
    log = workdir / "received.txt"
    app_cmd = project.uvicorn(f"{PACKAGE}.app:create_app", "--factory")
    with smtp_server(project, 0.0, log) as port:
        env = project.env(workdir, **smtp_settings(port))
        with serve("tracked", app_cmd, workdir, env, free_port()) as server:
            emails = client(project, server, "/emails", count, 50, EMAIL_BODY)
            files = client(project, server, "/files", count, 50, FILE_BODY)
            wait_for(lambda: len(received(log)) >= count, timeout=300)
            database = Path(env["JOBS_DB"])
            wait_for(lambda: set(jobs_by_status(database)) == {"succeeded"}, timeout=300)
    issued = {
        body["job_id"]: (kind, i)
        for kind, data in (("email", emails), ("files", files))
        for i, status, _, body in data["results"]
        if status == 202
    }
    subjects = received(log)
    counts = collections.Counter(subjects)
    once = all(counts[f"bench {i}"] == 1 for i in range(count))
    files_dir = Path(env["FILES_DIR"])
    intact = all(
        (files_dir / f"file-{i}.txt").read_text() == f"content of file {i}" for i in range(count)
    )
    recorded = job_ids(Path(env["JOBS_DB"]))
    statuses = jobs_by_status(Path(env["JOBS_DB"]))
    report.add(
        "no loss", "POST /emails + POST /files answered 202", f"{len(issued)} of {2 * count}"
    )
    report.add(
        "no loss",
        "messages received by SMTP, each exactly once",
        f"{len(subjects)} received, exactly once: {once}",
    )
    report.add("no loss", "files present with their content", f"{intact}")
    report.add(
        "no loss",
        "every 202's job id recorded; job records by status",
        f"{set(issued) <= recorded}; {json.dumps(statuses)}",
    )
    if not (
        len(issued) == 2 * count
        and once
        and len(subjects) == count
        and intact
        and set(issued) <= recorded
        and statuses == {"succeeded": len(recorded)}
    ):
        report.unmet.append("no loss: see the no-loss rows")
