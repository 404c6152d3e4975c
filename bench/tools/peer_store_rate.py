"""pgqueuer's and procrastinate's enqueue + dequeue loop through their documented Python API.

Neither package installs a benchmark script, so this measures what theirs would: JOBS no-op
jobs enqueued in waves of CONCURRENCY (as that many requests would) while one worker runs
them; the rate is to the last job's run. `pgqueuer-batched` is the set-up of pgqueuer's own
benchmark (its repository's tools/benchmark.py, which the package does not install: one
producer enqueuing 10 jobs per call, 5 consumers each on its own connection with a dequeue
batch of 10), here on psycopg and for JOBS jobs. Run by bench/phases/job_systems.py in the
peers' venv, on a scratch database whose schema the phase installed:
    python peer_store_rate.py pgqueuer|pgqueuer-batched|procrastinate DSN JOBS CONCURRENCY OUT
"""

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Awaitable, Callable

import psycopg
from pgqueuer import Job, PsycopgDriver, Queries, QueueManager
from procrastinate import App, PsycopgConnector


class Finish:
    """Counts the jobs run; its time is when the last one ran."""

    def __init__(self, jobs: int) -> None:
        self.left = jobs
        self.at = 0.0
        self.all_ran = asyncio.Event()

    def ran(self) -> None:
        self.left -= 1
        if self.left == 0:
            self.at = time.perf_counter()
            self.all_ran.set()


async def enqueue_in_waves(enqueue: Callable[[], Awaitable[object]], jobs: int, wave: int) -> None:
    for first in range(0, jobs, wave):
        await asyncio.gather(*(enqueue() for _ in range(min(wave, jobs - first))))


async def pgqueuer_rate(dsn: str, jobs: int, wave: int) -> float:
    """pgqueuer on psycopg (its PsycopgDriver): one connection enqueues while a QueueManager
    (continuous, its defaults) on another runs them."""
    finish = Finish(jobs)
    async with (
        await psycopg.AsyncConnection.connect(dsn, autocommit=True) as producer,
        await psycopg.AsyncConnection.connect(dsn, autocommit=True) as consumer,
    ):
        queries = Queries(PsycopgDriver(producer))
        manager = QueueManager(Queries(PsycopgDriver(consumer)))

        @manager.entrypoint("nothing")
        async def nothing(_job: Job) -> None:
            finish.ran()

        worker = asyncio.create_task(manager.run())
        started = time.perf_counter()
        await enqueue_in_waves(lambda: queries.enqueue("nothing", None), jobs, wave)
        await finish.all_ran.wait()
        manager.shutdown.set()
        await worker
        return finish.at - started


async def pgqueuer_batched_rate(dsn: str, jobs: int, _wave: int) -> float:
    """pgqueuer's benchmark set-up on psycopg: 10 jobs per enqueue call, 5 consumers with a
    dequeue batch of 10, each on its own connection."""
    finish = Finish(jobs)
    batch, consumers = 10, 5
    connections = [
        await psycopg.AsyncConnection.connect(dsn, autocommit=True) for _ in range(consumers + 1)
    ]
    queries = Queries(PsycopgDriver(connections[0]))
    managers = [QueueManager(Queries(PsycopgDriver(c))) for c in connections[1:]]
    for manager in managers:

        @manager.entrypoint("nothing")
        async def nothing(_job: Job) -> None:
            finish.ran()

    workers = [asyncio.create_task(m.run(batch_size=batch)) for m in managers]
    started = time.perf_counter()
    for first in range(0, jobs, batch):
        size = min(batch, jobs - first)
        await queries.enqueue(["nothing"] * size, [None] * size, [0] * size)
    await finish.all_ran.wait()
    for manager in managers:
        manager.shutdown.set()
    await asyncio.gather(*workers)
    for connection in connections:
        await connection.close()
    return finish.at - started


async def procrastinate_rate(dsn: str, jobs: int, wave: int) -> float:
    """procrastinate's PsycopgConnector: jobs deferred while its worker (concurrency 10, as
    in the HTTP runs) runs them."""
    finish = Finish(jobs)
    app = App(connector=PsycopgConnector(conninfo=dsn))

    @app.task(name="nothing")
    async def nothing() -> None:
        finish.ran()

    async with app.open_async():
        await app.schema_manager.apply_schema_async()
        worker = asyncio.create_task(app.run_worker_async(concurrency=10))
        started = time.perf_counter()
        await enqueue_in_waves(nothing.defer_async, jobs, wave)
        await finish.all_ran.wait()
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
        return finish.at - started


async def main() -> None:
    system, dsn, jobs, concurrency, out = sys.argv[1:6]
    measure = {
        "pgqueuer": pgqueuer_rate,
        "pgqueuer-batched": pgqueuer_batched_rate,
        "procrastinate": procrastinate_rate,
    }[system]
    seconds = await measure(dsn, int(jobs), int(concurrency))
    with open(out, "w", encoding="utf-8") as file:
        json.dump({"jobs": int(jobs), "seconds": seconds}, file)


if __name__ == "__main__":
    asyncio.run(main())
