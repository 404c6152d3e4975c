"""What a job system's own records say of the given jobs: python job_records.py SYSTEM URL IDS OUT

Run by bench/phases/job_systems.py in the peers' venv (psycopg, redis) after a kill -9 and
the restart. IDS is a file with one job id a line (the ids the 202s gave); OUT gets a JSON
object {id: state}, the state as the system itself records it:

- tracked-pg: `jobs.status`; procrastinate: `procrastinate_jobs.status`;
- pgqueuer: `pgqueuer.status` while the job is in the queue table, else the last status its
  log (`pgqueuer_log`) gives it;
- saq: the job key's `status` (kept `ttl`, 600 s, after it ends);
- arq: `complete` with a result key (kept 1 h), `in progress` with an in-progress key,
  `queued` with the job key only;
- Celery (no result backend): `queued` in the broker's list, `unacked` in the hash of
  delivered, unacknowledged messages (given back after `visibility_timeout`, 1 h); with
  `acks_late`, a task acknowledged left the broker after it ran: `acked (ran)`.

An id none of these knows is `missing`. The tracked runner on SQLite is read by the bench
itself (destinations.py).
"""

import json
import sys
from pathlib import Path


def postgres(url: str, query: str) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(url) as connection:
        return list(connection.execute(query).fetchall())


def redis_client(url: str):  # type: ignore[no-untyped-def]
    import redis

    return redis.Redis.from_url(url)


def states(system: str, url: str, ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    if system == "tracked-pg":
        found = {str(i): str(s) for i, s in postgres(url, "SELECT id, status FROM jobs")}
    elif system == "procrastinate":
        rows = postgres(url, "SELECT id, status FROM procrastinate_jobs")
        found = {str(i): str(s) for i, s in rows}
    elif system == "pgqueuer":
        for job_id, status in postgres(url, "SELECT job_id, status FROM pgqueuer_log ORDER BY id"):
            found[str(job_id)] = f"log: {status}"
        for job_id, status in postgres(url, "SELECT id, status FROM pgqueuer"):
            found[str(job_id)] = f"queue table: {status}"
    elif system == "saq":
        client = redis_client(url)
        for job_id, raw in zip(ids, client.mget(ids), strict=True):
            if raw is not None:
                found[job_id] = str(json.loads(raw).get("status"))
    elif system == "arq":
        client = redis_client(url)
        pipe = client.pipeline()
        for job_id in ids:
            for prefix in ("arq:result:", "arq:in-progress:", "arq:job:"):
                pipe.exists(prefix + job_id)
        flags = pipe.execute()
        for n, job_id in enumerate(ids):
            result, running, queued = flags[3 * n : 3 * n + 3]
            if result:
                found[job_id] = "complete"
            elif running:
                found[job_id] = "in progress"
            elif queued:
                found[job_id] = "queued"
    elif system == "celery":
        client = redis_client(url)
        for raw in client.lrange("celery", 0, -1):
            found[json.loads(raw)["headers"]["id"]] = "queued"
        for raw in client.hvals("unacked"):
            found[json.loads(raw)[0]["headers"]["id"]] = "unacked"
        return {i: found.get(i, "acked (ran)") for i in ids}
    return {i: found.get(i, "missing") for i in ids}


def main() -> None:
    system, url, ids_file, out = sys.argv[1:5]
    ids = [line for line in Path(ids_file).read_text().splitlines() if line]
    Path(out).write_text(json.dumps(states(system, url, ids)))


if __name__ == "__main__":
    main()
