"""Retention at 1,000,000 rows: POST /files while the prune runs, and GET /jobs's query plans.

Two copies of one JOBS_DB holding `rows` finished records older than the retention, two
services: one with the default JOBS_RETENTION_DAYS (its prune starts with the service and
deletes in small batches, jobs/runtime/retention.py), one with JOBS_RETENTION_DAYS=0 (no prune).
They take turns under wrk; the one not measured is paused (SIGSTOP), so the prune only
runs, and only costs, while its own service is measured.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import sqlite3
import statistics
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from load import LoadResult, wrk
from processes import free_port, serve
from project import OUT, PACKAGE, Project
from report import Report

CONNECTIONS = 20
FILE_BODY = '{"file_name": "%s-{i}.txt", "content": "' + "x" * 1000 + '"}'


def fill(database: Path, rows: int) -> float:
    """`rows` finished records, 30 days old, in one transaction of plain SQL (no Python per
    row); returns the seconds it took. Times are ISO 8601 text, as the store writes them."""
    started = time.perf_counter()
    base = int((datetime.now(UTC) - timedelta(days=30)).timestamp())
    stamp = (
        "strftime('%Y-%m-%dT%H:%M:%S', :base + n / 100000, 'unixepoch')"
        " || printf('.%06d+00:00', (n % 100000) * 10)"
    )
    with contextlib.closing(sqlite3.connect(database, isolation_level=None)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("BEGIN")
        connection.execute(
            "WITH RECURSIVE numbers(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM numbers"
            " WHERE n + 1 < :rows)"
            " INSERT INTO jobs (id, kind, status, attempts, error, result, created_at,"
            " started_at, finished_at, owner)"
            " SELECT lower(hex(randomblob(16))), 'files', 'succeeded', 1, NULL,"
            f" '{{\"path\": \"var/files/f.txt\"}}', {stamp}, {stamp}, {stamp}, 'bench-filler'"
            " FROM numbers",
            {"rows": rows, "base": base},
        )
        connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - started


def missed_prune(database: Path) -> None:
    """Record that the prune schedule ran two days ago: a service starting on this store has
    missed its last due time and prunes at once (an unseen schedule would wait for the next)."""
    due = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    with contextlib.closing(sqlite3.connect(database, isolation_level=None)) as connection:
        connection.execute(
            "INSERT INTO schedule_runs (name, due_at, job_id) VALUES ('prune_jobs', ?, '')",
            (due,),
        )


def count(database: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        return int(connection.execute("SELECT count(*) FROM jobs").fetchone()[0])


def list_queries(project: Project) -> dict[str, str]:
    """The SQL of GET /jobs as the generated store runs it (jobs/store/queries.py)."""
    code = (
        "import json\n"
        f"from {PACKAGE}.jobs.store import queries as q\n"
        "print(json.dumps({\n"
        "  'GET /jobs': q.SELECT_JOBS + q.NEWEST_FIRST,\n"
        "  'GET /jobs?status=': q.SELECT_JOBS + ' WHERE status = ?' + q.NEWEST_FIRST,\n"
        "  'GET /jobs?before=': q.SELECT_JOBS + ' WHERE ' + q.BEFORE + q.NEWEST_FIRST,\n"
        "  'GET /jobs?status=&before=': q.SELECT_JOBS + ' WHERE status = ? AND ' + q.BEFORE"
        " + q.NEWEST_FIRST,\n"
        "}))\n"
    )
    output = subprocess.run(
        [str(project.python), "-c", code],
        env={"PYTHONPATH": str(project.path / "src")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    queries: dict[str, str] = json.loads(output)
    return queries


def query_plans(project: Project, database: Path, report: Report) -> None:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        some_id = connection.execute("SELECT id FROM jobs LIMIT 1 OFFSET 5000").fetchone()[0]
        rows = count(database)
        all_indexed = True
        for name, sql in list_queries(project).items():
            params: list[object] = []
            if "status = ?" in sql:
                params.append("succeeded")
            if "SELECT created_at, id FROM jobs WHERE id = ?" in sql:
                params.append(some_id)
            params.append(50)
            plan = [row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + sql, params)]
            times = []
            for _ in range(5):
                started = time.perf_counter()
                connection.execute(sql, params).fetchall()
                times.append((time.perf_counter() - started) * 1000)
            indexed = any("INDEX" in step for step in plan) and not any(
                "TEMP B-TREE" in step or (step.startswith("SCAN jobs") and "INDEX" not in step)
                for step in plan
            )
            all_indexed = all_indexed and indexed
            report.add(
                f"retention, {rows:,} rows",
                f"EXPLAIN QUERY PLAN {name} (limit 50); median of 5 runs",
                "; ".join(f"`{step}`" for step in plan) + f"; {statistics.median(times):.2f} ms",
            )
    report.goal(
        f"GET /jobs (with and without status, and with `before`) at {rows:,} rows",
        "uses an index, no sort",
        "index, no temp B-tree" if all_indexed else "see the query plans",
        all_indexed,
    )


def retention(project: Project, report: Report, rows: int, seconds: int, rounds: int) -> None:
    workdir = OUT / "retention"
    shutil.rmtree(workdir, ignore_errors=True)
    envs = {
        "keep": project.env(workdir / "keep", JOBS_RETENTION_DAYS="0"),
        "prune": project.env(workdir / "prune", JOBS_RETENTION_DAYS="14"),
    }
    databases = {name: Path(env["JOBS_DB"]) for name, env in envs.items()}
    first = databases["keep"]
    first.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(project.python), "-m", PACKAGE, "db", "upgrade"],
        env={**envs["keep"]},
        check=True,
        capture_output=True,
    )
    seconds_to_fill = fill(first, rows)
    databases["prune"].parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(first, databases["prune"])
    missed_prune(databases["prune"])
    report.add(
        "retention",
        "expired records written to JOBS_DB (one transaction, direct SQL)",
        f"{rows:,} in {seconds_to_fill:.1f} s; {first.stat().st_size / 1e6:.0f} MB",
    )
    query_plans(project, first, report)
    app = project.uvicorn(f"{PACKAGE}.app:create_app", "--factory")
    results: dict[str, list[LoadResult]] = {"keep": [], "prune": []}
    pruned: list[int] = []
    with contextlib.ExitStack() as stack:
        keep = stack.enter_context(serve("keep", app, workdir / "keep", envs["keep"], free_port()))
        prune = stack.enter_context(
            serve("prune", app, workdir / "prune", envs["prune"], free_port())
        )
        # The prune started with the service; it runs only in its service's turns.
        prune.process.send_signal(signal.SIGSTOP)
        wrk(keep, "/files", FILE_BODY % "warm", CONNECTIONS, 2)
        for number in range(rounds):
            results["keep"].append(
                wrk(keep, "/files", FILE_BODY % f"k{number}", CONNECTIONS, seconds, "keep")
            )
            before = count(databases["prune"])
            prune.process.send_signal(signal.SIGCONT)
            time.sleep(0.5)  # the prune is back in its stride before the run starts
            results["prune"].append(
                wrk(prune, "/files", FILE_BODY % f"p{number}", CONNECTIONS, seconds, "prune")
            )
            prune.process.send_signal(signal.SIGSTOP)
            pruned.append(before - count(databases["prune"]))
        prune.process.send_signal(signal.SIGCONT)
    p99 = {
        name: statistics.median(r.percentiles_ms["p99"] for r in rs) for name, rs in results.items()
    }
    rps = {name: statistics.median(r.rps for r in rs) for name, rs in results.items()}
    for name, label in (("keep", "without a prune"), ("prune", "while the prune runs")):
        errors = sum(r.non2xx + r.socket_errors for r in results[name])
        report.add(
            "retention",
            f"POST /files at {rows:,} rows, {label}: req/s, p50, p99; errors (median of {rounds})",
            f"{rps[name]:.0f} req/s,"
            f" {statistics.median(r.percentiles_ms['p50'] for r in results[name]):.2f} ms,"
            f" {p99[name]:.2f} ms; {errors}",
        )
    report.add(
        "retention",
        "expired records the prune deleted during each of its runs (net of new records)",
        ", ".join(f"{n:,}" for n in pruned),
    )
    ratio = p99["prune"] / p99["keep"]
    report.add("retention", "POST /files p99 while pruning / without", f"{ratio:.2f}x")
    running = all(n > 0 for n in pruned)
    report.goal(
        f"POST /files p99 while the prune deletes {rows:,} expired records",
        "<= 2x the p99 without",
        f"{ratio:.2f}x" + ("" if running else " (the prune did not delete in every run)"),
        ratio <= 2 and running,
    )
    for result in results["keep"] + results["prune"]:
        report.loads.append(result)
