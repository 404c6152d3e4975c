"""What the order of job ids costs the SQLite jobs store: random ids against time-ordered ones.

Run in the generated project's environment, with its source importable:
    BENCH_PACKAGE=bench_service python bench/tools/job_ids.py [ROWS_BEFORE] [JOBS]
For each kind of id, a fresh JOBS_DB with the project's own schema (its migrations) is filled
with ROWS_BEFORE finished jobs; then JOBS jobs are recorded and finished through the project's
own queries, 20 to a transaction as the store's group commit makes them under load. Printed:
CPU time of the database thread per job (insert, finish).
"""

import importlib
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

package = os.environ["BENCH_PACKAGE"]
queries: Any = importlib.import_module(f"{package}.jobs.store.queries")
models: Any = importlib.import_module(f"{package}.jobs.store.records")
SQLiteDatabase: Any = importlib.import_module(f"{package}.jobs.store.sqlite").SQLiteDatabase

BATCH = 20


def random_id() -> str:
    return os.urandom(16).hex()


def record(database: Any, connection: Any, ids: list[str]) -> tuple[float, float]:
    """CPU seconds per job to insert `ids` and then finish them, BATCH per transaction."""
    batches = [ids[start : start + BATCH] for start in range(0, len(ids), BATCH)]
    began = time.thread_time()
    for batch in batches:
        with database.transaction(connection):
            for job_id in batch:
                job = models.NewJob(job_id, "bench", {"to": "someone@example.com"})
                queries.insert_job(database, connection, job, "bench-process")
    inserted = time.thread_time()
    for batch in batches:
        with database.transaction(connection):
            for job_id in batch:
                status, at = models.JobStatus.SUCCEEDED, queries.now()
                claim = models.Claim("bench-process")
                queries.mark_finished(
                    database, connection, job_id, claim, status, 1, None, None, at, at
                )
    finished = time.thread_time()
    return (inserted - began) / len(ids), (finished - inserted) / len(ids)


def measure(new_id: Callable[[], str], rows_before: int, jobs: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as directory:
        database = SQLiteDatabase(Path(directory) / "jobs.sqlite3")
        database.upgrade()
        connection = database.connect()
        try:
            record(database, connection, [new_id() for _ in range(rows_before)])
            return record(database, connection, [new_id() for _ in range(jobs)])
        finally:
            connection.close()


def main() -> None:
    rows_before = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    jobs = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
    for name, new_id in (("random (os.urandom)", random_id), ("time-ordered", models.new_job_id)):
        insert, finish = measure(new_id, rows_before, jobs)
        print(
            f"{name}: {insert * 1e6:.1f} us insert + {finish * 1e6:.1f} us finish"
            f" = {(insert + finish) * 1e6:.1f} us per job at {rows_before:,} rows"
        )


if __name__ == "__main__":
    main()
