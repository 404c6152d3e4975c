"""Job systems: the tracked runner against procrastinate, pgqueuer, saq, arq and Celery.

Every system answers POST with the same request model (the generated `EmailRequest`) and a
202 with its job's id, and runs the same no-op job (bench/apps/stamps.py: one appended line
says when it ran). Web server and workers share the same two cores (`taskset -c 0,1`);
wrk runs on core 1 with them. Per system, in interleaved rounds, on a fresh store each run:
accepted req/s, p50/p99 of the 202, completed jobs/s to the last job, p99 from accept to
done, server + worker CPU per job. Then, once per system: JOBS requests, kill -9 of the web
server and every worker when half are accepted, a restart, and which accepted jobs never ran
(counted at the jobs' stamps). And without HTTP: jobs recorded, run and finished per second
through the tracked runner's Python API (tools/store_rate.py) beside pgqueuer's and
procrastinate's enqueue + dequeue loop (tools/peer_store_rate.py; neither package installs
a benchmark script).
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from destinations import jobs_by_status
from load import LoadResult, percentile, wrk
from processes import LOADGEN_CPU, Server, background, free_port, pin, serve
from project import OUT, TOOLS, Project
from report import Report, installed

from phases.peers import postgres_database, postgres_jobs

CONNECTIONS = 20
CORES = "0,1"
"""Web server and workers of every system share both cores; wrk is on LOADGEN_CPU too."""
BODY = '{"to": "someone@example.com", "subject": "%s {i}", "body": "Hello from bench."}'
WARM = 20
WAVE = 100
"""Jobs scheduled at once in the store-level loops, as that many requests would."""
REDIS_DB = 14
REDIS = f"redis://127.0.0.1:6379/{REDIS_DB}"
PACKAGES = (
    "procrastinate", "pgqueuer", "asyncpg", "psycopg", "saq", "arq", "redis", "celery",
    "kombu", "fastapi", "uvicorn",
)  # fmt: skip


@dataclass(frozen=True)
class System:
    name: str
    label: str
    layout: str
    python: Path
    app: str
    path: str
    store: str
    """"sqlite", "postgresql" or "redis": what a fresh run needs."""
    workers: list[list[str]] = field(default_factory=list)
    setup: list[list[str]] = field(default_factory=list)
    """Commands run on the fresh store before the system starts (its schema)."""
    project: Project | None = None
    """The project whose venv and settings run the web app (the tracked runner's)."""


def job_systems_of(
    project: Project, postgres: Project | None, peers: Path, arq: Path
) -> list[System]:
    def module(python: Path, name: str, *args: str) -> list[str]:
        return [str(python), "-m", name, *args]

    procrastinate = module(peers, "procrastinate", "--app=procrastinate_app.queue")
    systems = [
        System(
            "tracked",
            "tracked runner, SQLite",
            "one uvicorn process runs the jobs itself",
            project.python,
            "tracked_app:app",
            "/job-stamped",
            "sqlite",
            project=project,
        ),
        System(
            "procrastinate",
            "procrastinate",
            "2 `procrastinate worker --concurrency 10`",
            peers,
            "procrastinate_app:app",
            "/empty",
            "postgresql",
            workers=[[*procrastinate, "worker", "--concurrency", "10"]] * 2,
            setup=[[*procrastinate, "schema", "--apply"]],
        ),
        System(
            "pgqueuer",
            "pgqueuer",
            "2 `pgq run` workers (asyncpg, batch size 10)",
            peers,
            "pgqueuer_app:app",
            "/empty",
            "postgresql",
            workers=[module(peers, "pgqueuer_app")] * 2,
            setup=[module(peers, "pgqueuer", "--pg-dsn", "{url}", "install")],
        ),
        System(
            "saq",
            "saq",
            "`saq --workers 2` (concurrency 10 each)",
            peers,
            "saq_app:app",
            "/empty",
            "redis",
            workers=[module(peers, "saq", "saq_app.settings", "--workers", "2")],
        ),
        System(
            "arq",
            "arq",
            "2 `arq` workers (max_jobs 10 each)",
            arq,
            "arq_app:app",
            "/empty",
            "redis",
            workers=[module(arq, "arq", "arq_app.WorkerSettings")] * 2,
        ),
        System(
            "celery",
            "Celery, Redis, acks_late",
            "`celery worker`, prefork, concurrency 2",
            peers,
            "celery_tasks_app:app",
            "/empty",
            "redis",
            workers=[
                module(
                    peers,
                    "celery",
                    "-A",
                    "celery_tasks_app.queue",
                    "worker",
                    "--concurrency",
                    "2",
                    "--loglevel",
                    "warning",
                )
            ],
        ),
    ]
    if postgres is not None:
        systems.insert(
            1,
            System(
                "tracked-pg",
                "tracked runner, PostgreSQL",
                "one uvicorn process runs the jobs itself",
                postgres.python,
                "tracked_app:app",
                "/job-stamped",
                "postgresql",
                project=postgres,
            ),
        )
    return systems


def redis_cli(*args: str) -> bool:
    if shutil.which("redis-cli") is None:
        return False
    done = subprocess.run(["redis-cli", "-n", str(REDIS_DB), *args], capture_output=True)
    return done.returncode == 0


@contextlib.contextmanager
def fresh_store(system: System, tag: str) -> Iterator[str | None]:
    """A scratch PostgreSQL database, or Redis db REDIS_DB flushed before and after; SQLite
    needs nothing (each run has its own workdir). None when the store is not there."""
    if system.store == "postgresql":
        with postgres_database(f"bench_systems_{tag}_{int(time.time() * 1000)}") as url:
            yield url
    elif system.store == "redis":
        if not redis_cli("FLUSHDB"):
            yield None
            return
        try:
            yield REDIS
        finally:
            redis_cli("FLUSHDB")
    else:
        yield ""


def environment(project: Project, system: System, workdir: Path, url: str) -> dict[str, str]:
    base = system.project or project
    settings = {"BENCH_STAMPS": str(workdir / "stamps.txt")}
    if system.name == "tracked-pg":
        settings["JOBS_DATABASE_URL"] = url
    elif system.store == "postgresql":
        settings["BENCH_POSTGRES_URL"] = url
    elif system.store == "redis":
        settings["BENCH_REDIS_URL"] = url
    return base.env(workdir, **settings)


@dataclass
class Running:
    server: Server
    workers: list[subprocess.Popen[bytes]]

    @property
    def pids(self) -> list[int]:
        return [self.server.process.pid, *(worker.pid for worker in self.workers)]


@contextlib.contextmanager
def running(
    project: Project, system: System, workdir: Path, env: dict[str, str], name: str
) -> Iterator[Running]:
    """The system's workers, then its web server, all on CORES, until the block ends.

    A worker's own processes (saq's `--workers`, Celery's pool) are stopped with it: saq's
    outlive a SIGTERM to their parent.
    """
    children: list[int] = []
    try:
        with contextlib.ExitStack() as stack:
            workers = [
                stack.enter_context(
                    background([*pin(CORES), *command], workdir, env, workdir / f"{name}-w{i}.log")
                )
                for i, command in enumerate(system.workers)
            ]
            command = project.uvicorn(system.app, python=system.python)
            server = stack.enter_context(serve(name, command, workdir, env, free_port(), cpu=CORES))
            try:
                yield Running(server, workers)
            finally:
                children = [child for worker in workers for child in children_of(worker.pid)]
    finally:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)


def post(server: Server, path: str, subject: str) -> int:
    body = (BODY % subject).replace(" {i}", "").encode()
    request = urllib.request.Request(
        server.url + path, data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def stamps(workdir: Path, prefix: str) -> dict[str, tuple[float, float]]:
    """subject -> (accepted, done) of the jobs of a run that ran; the first run of each."""
    found: dict[str, tuple[float, float]] = {}
    path = workdir / "stamps.txt"
    if not path.exists():
        return found
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith(prefix):
            found.setdefault(parts[0], (float(parts[1]), float(parts[2])))
    return found


def ran_twice(workdir: Path, prefix: str) -> int:
    path = workdir / "stamps.txt"
    subjects = [line.split()[0] for line in path.read_text().splitlines()] if path.exists() else []
    counts = collections.Counter(s for s in subjects if s.startswith(prefix))
    return sum(count - 1 for count in counts.values())


def warm(server: Server, system: System, workdir: Path, timeout: float = 60) -> None:
    """WARM jobs through the system, waited for: its workers are up, connections open."""
    for i in range(WARM):
        post(server, system.path, f"warm {i}")
    deadline = time.monotonic() + timeout
    while len(stamps(workdir, "warm_")) < WARM and time.monotonic() < deadline:
        time.sleep(0.05)


def tree_cpu(pids: list[int]) -> float:
    """CPU seconds used so far by these processes and every live descendant of theirs."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    family, frontier = set(pids), list(pids)
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in family]
        family.update(children)
        frontier.extend(children)
    total = 0.0
    for pid in family:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@dataclass
class Run:
    load: LoadResult
    done: int
    completed_per_second: float
    accept_to_done_p99_ms: float
    cpu_ms_per_job: float


def set_up(project: Project, system: System, workdir: Path, url: str) -> dict[str, str]:
    """The system's environment, after its own set-up commands (schemas) ran against `url`."""
    env = environment(project, system, workdir, url)
    for command in system.setup:
        subprocess.run(
            [part.replace("{url}", url) for part in command],
            cwd=workdir, env={**os.environ, **env}, check=True, capture_output=True,
        )  # fmt: skip
    return env


def measure(project: Project, system: System, seconds: int, number: int, wait: float) -> Run | None:
    workdir = OUT / "systems" / f"{system.name}-r{number}"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    with fresh_store(system, system.name.replace("-", "_")) as url:
        if url is None:
            return None
        env = set_up(project, system, workdir, url)
        with running(project, system, workdir, env, system.name) as up:
            warm(up.server, system, workdir)
            run = f"{system.name}-r{number}"
            before = tree_cpu(up.pids)
            body = BODY % run
            load = wrk(up.server, system.path, body, CONNECTIONS, seconds, target=system.name)
            deadline = time.monotonic() + wait
            while len(done := stamps(workdir, run + "_")) < load.accepted:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            cpu = tree_cpu(up.pids) - before
    lasts = [end for _, end in done.values()]
    elapsed = (max(lasts) - load.started) if lasts else float("inf")
    waits = [(end - accepted) * 1000 for accepted, end in done.values()]
    return Run(
        load=load,
        done=len(done),
        completed_per_second=len(done) / elapsed,
        accept_to_done_p99_ms=percentile(waits, 99),
        cpu_ms_per_job=1000 * cpu / max(len(done), 1),
    )


@dataclass
class Loss:
    accepted: int
    lost: int
    twice: int


def kill_mid_run(project: Project, system: System, jobs: int, recovery: float) -> Loss | None:
    """`jobs` requests; kill -9 of web and workers once half are accepted; restart; count."""
    workdir = OUT / "systems" / f"{system.name}-kill"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    with fresh_store(system, system.name.replace("-", "_") + "_kill") as url:
        if url is None:
            return None
        env = set_up(project, system, workdir, url)
        with running(project, system, workdir, env, system.name) as up:
            warm(up.server, system, workdir)
            with ThreadPoolExecutor(CONNECTIONS) as pool:
                answers = [
                    pool.submit(post, up.server, system.path, f"kill {i}") for i in range(jobs)
                ]
                while sum(a.done() and a.result() == 202 for a in answers) < jobs // 2:
                    if all(a.done() for a in answers):
                        break
                    time.sleep(0.005)
                for pid in up.pids:
                    kill_tree(pid)
                accepted = {f"kill_{i}" for i, a in enumerate(answers) if a.result() == 202}
        with running(project, system, workdir, env, system.name + "-restarted"):
            deadline = time.monotonic() + recovery
            while time.monotonic() < deadline:
                if accepted <= set(stamps(workdir, "kill_")):
                    break
                time.sleep(0.2)
        ran = set(stamps(workdir, "kill_"))
    return Loss(len(accepted), len(accepted - ran), ran_twice(workdir, "kill_"))


def children_of(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(child) for child in found.stdout.split()]


def kill_tree(pid: int) -> None:
    """SIGKILL a process and its children (a prefork pool), this PID's family only."""
    children = children_of(pid)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    for child in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


def store_rates(
    project: Project, postgres: Project | None, peers: Path, jobs: int, report: Report
) -> dict[str, float]:
    """Jobs recorded, run and finished per second, without HTTP, each on a fresh store; the
    tracked runner's records are read back (every job `succeeded`)."""
    rates: dict[str, float] = {}

    def check(name: str, statuses: dict[str, int]) -> None:
        report.add("job systems: store-level", f"{name}: records", json.dumps(statuses))
        if statuses.get("succeeded", 0) != jobs or sum(statuses.values()) != jobs:
            report.unmet.append(f"job systems, store-level {name}: records {statuses}")

    out = OUT / "systems" / "store-rate.json"
    out.parent.mkdir(parents=True, exist_ok=True)

    def timed(command: list[str], env: dict[str, str]) -> float:
        subprocess.run(
            [*pin(CORES), *command], env={**os.environ, **env}, check=True, cwd=out.parent
        )
        data = json.loads(out.read_text())
        return float(data["jobs"]) / float(data["seconds"])

    script = [str(TOOLS / "store_rate.py"), str(jobs), str(WAVE), str(out)]
    workdir = OUT / "systems" / "store-sqlite"
    shutil.rmtree(workdir, ignore_errors=True)
    rates["tracked"] = timed([str(project.python), *script], project.env(workdir))
    check("tracked", jobs_by_status(workdir / "var" / "jobs.sqlite3", "store_rate"))
    if postgres is not None:
        with postgres_database(f"bench_systems_store_{int(time.time())}") as url:
            if url is not None:
                env = postgres.env(OUT / "systems" / "store-pg", JOBS_DATABASE_URL=url)
                rates["tracked-pg"] = timed([str(postgres.python), *script], env)
                check("tracked-pg", postgres_jobs(url, "store_rate"))
    for name in ("pgqueuer", "procrastinate"):
        with postgres_database(f"bench_systems_store_{name}_{int(time.time())}") as url:
            if url is None:
                continue
            if name == "pgqueuer":
                install = [str(peers), "-m", "pgqueuer", "--pg-dsn", url, "install"]
                subprocess.run(install, check=True, capture_output=True)
            peer = [str(peers), str(TOOLS / "peer_store_rate.py"), name, url, str(jobs), str(WAVE)]
            rates[name] = timed([*peer, str(out)], {})
    return rates


def job_systems(
    project: Project,
    postgres: Project | None,
    peers: Path,
    arq: Path,
    report: Report,
    seconds: int,
    rounds: int,
    kill_jobs: int,
    store_jobs: int,
    recovery: float,
) -> None:
    shutil.rmtree(OUT / "systems", ignore_errors=True)
    systems = job_systems_of(project, postgres, peers, arq)
    results: dict[str, list[Run]] = {s.name: [] for s in systems}
    missing: set[str] = set()
    for number in range(rounds):
        for system in systems:
            if system.name in missing:
                continue
            run = measure(project, system, seconds, number, wait=max(60.0, 10.0 * seconds))
            if run is None:
                missing.add(system.name)
                continue
            results[system.name].append(run)
            report.loads.append(run.load)
    losses = {
        s.name: loss
        for s in systems
        if s.name not in missing and (loss := kill_mid_run(project, s, kill_jobs, recovery))
    }
    rates = store_rates(project, postgres, peers, store_jobs, report)
    measured = [s for s in systems if results[s.name]]
    for system in measured:
        report.labels[system.name] = f"job systems: {system.label}"
    summarise(
        report, measured, results, losses, rates, missing, (kill_jobs, recovery), peers, arq,
        project,
    )  # fmt: skip


def summarise(
    report: Report,
    systems: list[System],
    results: dict[str, list[Run]],
    losses: dict[str, Loss],
    rates: dict[str, float],
    missing: set[str],
    kill: tuple[int, float],
    peers: Path,
    arq: Path,
    project: Project,
) -> None:
    def median(name: str, value: str) -> float:
        runs = results[name]
        return statistics.median(
            getattr(run.load, value) if value == "rps" else getattr(run, value) for run in runs
        )

    figures: dict[str, dict[str, float]] = {}
    for system in systems:
        runs = results[system.name]
        figures[system.name] = {
            "rps": median(system.name, "rps"),
            "p50": statistics.median(run.load.percentiles_ms["p50"] for run in runs),
            "p99": statistics.median(run.load.percentiles_ms["p99"] for run in runs),
            "completed": median(system.name, "completed_per_second"),
            "done_p99": median(system.name, "accept_to_done_p99_ms"),
            "cpu": median(system.name, "cpu_ms_per_job"),
        }
    header = [
        "System", "Layout", "accepted req/s", "202 p50 ms", "202 p99 ms", "completed jobs/s",
        "accept→done p99 ms", "CPU ms/job (web + workers)", "kill -9: lost / accepted (twice)",
        "store-level jobs/s",
    ]  # fmt: skip
    rows = []
    for system in systems:
        f, loss = figures[system.name], losses.get(system.name)
        killed = f"{loss.lost} / {loss.accepted} ({loss.twice})" if loss else "not measured"
        rate = f"{rates[system.name]:.0f}" if system.name in rates else "—"
        rows.append(
            [system.label, system.layout, f"{f['rps']:.0f}", f"{f['p50']:.2f}", f"{f['p99']:.2f}",
             f"{f['completed']:.0f}", f"{f['done_p99']:.1f}", f"{f['cpu']:.3f}", killed, rate]
        )  # fmt: skip
        errors = sum(run.load.non2xx + run.load.socket_errors for run in results[system.name])
        report.add(
            "job systems",
            f"{system.label}: req/s, p50, p99, completed/s, accept→done p99, CPU/job; errors",
            f"{f['rps']:.0f}, {f['p50']:.2f} ms, {f['p99']:.2f} ms, {f['completed']:.0f}/s,"
            f" {f['done_p99']:.1f} ms, {f['cpu']:.3f} ms; {errors}",
        )
    versions = {**installed(peers), **installed(arq)}
    versions.update({k: v for k, v in installed(project.python).items() if k in ("fastapi",)})
    arq_redis = installed(arq).get("redis")
    listed = ", ".join(
        f"{name} {versions[name]}" for name in PACKAGES if name in versions and name != "redis"
    )
    lines = [
        "## Job systems",
        "",
        "The same FastAPI endpoint and request model (`EmailRequest`) scheduling the same no-op"
        " job (its only work: one line appended to a file, `bench/apps/stamps.py`, which tells"
        " when it ran) through each system; `bench/phases/job_systems.py`, apps in"
        " `bench/apps/`. Each run on a fresh store (a scratch PostgreSQL database; Redis db"
        f" {REDIS_DB} flushed). One uvicorn process per web app; web server and workers pinned"
        f" together to cores {CORES} (`taskset -c {CORES}`), wrk (1 thread,"
        f" {CONNECTIONS} connections) on core {LOADGEN_CPU} with them. Completed jobs/s: jobs"
        " run / (last job's end - wrk's start). CPU per job: web server and workers (with"
        " their children) from `/proc`, from wrk's start to the last job's end. kill -9:"
        f" {kill[0]} requests, web server and workers killed once half were accepted,"
        f" restarted, and the accepted jobs that had not run {kill[1]:.0f} s later (each"
        " system's own settings: the tracked runner's lease, Celery's visibility timeout, ...)"
        " counted at their stamps.",
        "",
        f"Versions: {listed}; redis (Python client) {versions.get('redis', '?')}"
        f" (arq's venv: {arq_redis or '?'}).",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
        "Store-level, without HTTP, "
        + ", ".join(f"{name}: {rate:.0f} jobs/s" for name, rate in rates.items())
        + f" (waves of {WAVE}; pgqueuer and procrastinate install no benchmark script: their"
        " documented enqueue + dequeue API, pgqueuer on psycopg).",
        "",
    ]
    if missing:
        lines.insert(-1, f"Not measured (store not reachable): {', '.join(sorted(missing))}.")
    report.sections.append(lines)
    goals(report, systems, figures, losses, rates)


def goals(
    report: Report,
    systems: list[System],
    figures: dict[str, dict[str, float]],
    losses: dict[str, Loss],
    rates: dict[str, float],
) -> None:
    tracked = [s for s in systems if s.name.startswith("tracked")]
    peers = [s for s in systems if not s.name.startswith("tracked")]
    if not peers:
        return
    best = max(peers, key=lambda s: figures[s.name]["completed"])
    lost = ", ".join(
        f"{s.label} {losses[s.name].lost}/{losses[s.name].accepted}"
        for s in peers
        if s.name in losses
    )
    for ours in tracked:
        f = figures[ours.name]
        ratio = f["completed"] / figures[best.name]["completed"]
        report.goal(
            f"job systems: {ours.label}: completed jobs/s vs the best peer ({best.label})",
            ">= 1.5x",
            f"{ratio:.2f}x ({f['completed']:.0f} vs {figures[best.name]['completed']:.0f}/s)",
            ratio >= 1.5,
        )
        quickest = min(peers, key=lambda s: figures[s.name]["p99"])
        theirs = figures[quickest.name]["p99"]
        report.goal(
            f"job systems: {ours.label}: p99 of the 202 vs every peer's",
            "<= each peer's",
            f"{f['p99']:.2f} ms; lowest peer {quickest.label} {theirs:.2f} ms",
            f["p99"] <= figures[quickest.name]["p99"],
        )
        if ours.name in losses:
            loss = losses[ours.name]
            report.goal(
                f"job systems: {ours.label}: accepted jobs lost to kill -9 of web and workers",
                "0",
                f"{loss.lost} of {loss.accepted}, {loss.twice} ran twice"
                f" (peers: {lost or 'not measured'})",
                loss.lost == 0,
            )
        if ours.name in rates and "pgqueuer" in rates:
            report.goal(
                f"job systems: {ours.label}: store-level jobs/s vs pgqueuer on psycopg",
                ">= 1.0x",
                f"{rates[ours.name]:.0f} vs {rates['pgqueuer']:.0f} jobs/s",
                rates[ours.name] >= rates["pgqueuer"],
            )
