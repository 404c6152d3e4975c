"""Job systems: the tracked runner against procrastinate, pgqueuer, saq, arq and Celery.

Every system answers POST with the same request model (the generated `EmailRequest`) and a
202 with its job's id, and runs the same no-op job (bench/apps/stamps.py: one appended line
says when it ran), then the same email to the local SMTP server (bench/apps/mail.py; the
tracked runner's is the service's own POST /emails). Web server and workers share the same
two cores (`taskset -c 0,1`); wrk and the SMTP server run on core 1 with them. Per system,
in interleaved rounds, on a fresh store each run: accepted req/s, p50/p99 of the 202,
completed jobs/s to the last job, p99 from accept to done, server + worker CPU per job.
Then, once per system: JOBS requests (no-op and email jobs in turn), kill -9 of the web
server and every worker when half are accepted, a restart, and which accepted jobs never
ran, counted at the jobs' stamps, at the SMTP server and in the system's own records
(tools/job_records.py). And without HTTP: jobs recorded, run and finished per second
through the tracked runner's Python API (tools/store_rate.py) beside pgqueuer's and
procrastinate's enqueue + dequeue loop (tools/peer_store_rate.py; neither package installs
a benchmark script). The report: phases/job_systems_report.py.
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from destinations import duplicates, jobs_by_status, received, smtp_server, smtp_settings
from load import LoadResult, percentile, wrk
from processes import Server, background, free_port, pin, serve
from project import OUT, TOOLS, Project
from report import Report

from phases.job_systems_report import summarise
from phases.peers import postgres_database, postgres_jobs, wait_for_delivery

CONNECTIONS = 20
CORES = "0,1"
"""Web server and workers of every system share both cores; wrk is on LOADGEN_CPU too."""
BODY = '{"to": "someone@example.com", "subject": "%s {i}", "body": "Hello from bench."}'
WARM = 20
KILL_SMTP_DELAY = 0.05
"""s the SMTP server takes per message in the kill -9 run: email jobs are in flight when it
comes."""
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
    email_path: str = "/email"
    """The route that schedules the email job (bench/apps/mail.py; the service's /emails)."""
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
            "/emails",
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
                "/emails",
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


def environment(
    project: Project, system: System, workdir: Path, url: str, smtp_port: int
) -> dict[str, str]:
    base = system.project or project
    settings = {"BENCH_STAMPS": str(workdir / "stamps.txt"), "BENCH_SMTP_PORT": str(smtp_port)}
    if system.project is not None:
        settings.update(smtp_settings(smtp_port))
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


def post(server: Server, path: str, subject: str) -> tuple[int, str]:
    """The answer's status (0: no answer) and the job id a 202 gives."""
    body = (BODY % subject).replace(" {i}", "").encode()
    request = urllib.request.Request(
        server.url + path, data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status), str(json.loads(response.read())["job_id"])
    except urllib.error.HTTPError as error:
        return error.code, ""
    except (OSError, http.client.HTTPException, ValueError, KeyError):
        return 0, ""  # no answer, or one cut off by the kill -9


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


def set_up(
    project: Project, system: System, workdir: Path, url: str, smtp_port: int
) -> dict[str, str]:
    """The system's environment, after its own set-up commands (schemas) ran against `url`."""
    env = environment(project, system, workdir, url, smtp_port)
    for command in system.setup:
        subprocess.run(
            [part.replace("{url}", url) for part in command],
            cwd=workdir, env={**os.environ, **env}, check=True, capture_output=True,
        )  # fmt: skip
    return env


def measure(
    project: Project,
    system: System,
    seconds: int,
    number: int,
    wait: float,
    smtp: tuple[int, Path],
    email: bool = False,
) -> Run | None:
    """One interleaved run of the no-op job (done = its stamp) or of the email job (done =
    the message at the SMTP server `smtp`: its port and log)."""
    run = f"{system.name}-{'m' if email else 'r'}{number}"
    workdir = OUT / "systems" / run
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    with fresh_store(system, system.name.replace("-", "_")) as url:
        if url is None:
            return None
        env = set_up(project, system, workdir, url, smtp[0])
        with running(project, system, workdir, env, system.name) as up:
            warm(up.server, system, workdir)
            before = tree_cpu(up.pids)
            path, target = (system.email_path, f"systems-{system.name}-email") if email else (
                system.path, system.name
            )  # fmt: skip
            load = wrk(up.server, path, BODY % run, CONNECTIONS, seconds, target=target)
            deadline = time.monotonic() + wait
            if email:
                arrived = wait_for_delivery(smtp[1], run + " ", load.accepted)
                done = {str(n): (float("nan"), at) for n, at in enumerate(arrived)}
            while not email and len(done := stamps(workdir, run + "_")) < load.accepted:
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
        accept_to_done_p99_ms=float("nan") if email else percentile(waits, 99),
        cpu_ms_per_job=1000 * cpu / max(len(done), 1),
    )


DONE = {
    "tracked": "succeeded", "tracked-pg": "succeeded", "procrastinate": "succeeded",
    "pgqueuer": "log: successful", "saq": "complete", "arq": "complete", "celery": "acked (ran)",
}  # fmt: skip
"""The state of a job that ran, in each system's own records (tools/job_records.py)."""
CUT_OFF = {"interrupted", "uncertain"}
"""The tracked runner's records of a job cut off mid-run: not run again by itself, but said."""


@dataclass
class Loss:
    """One kill -9 run: no-op jobs (counted at their stamps) and email jobs (counted at the
    SMTP server), and what the system's own records say of each accepted job."""

    accepted: int
    lost: int
    twice: int
    emails: int
    never_delivered: int
    delivered_twice: int
    records: dict[str, int]
    """State -> accepted jobs (both kinds) in that state in the system's records."""
    undone_records: int
    """Accepted jobs whose record is not the system's `done` state."""
    silent: int
    """Accepted jobs that never ran (no stamp, no message) and whose record does not say so:
    recorded as done, or as waiting to run though the system will not run it again."""

    def describe(self) -> str:
        states = ", ".join(f"{state} {n}" for state, n in sorted(self.records.items()))
        return (
            f"no-op: {self.lost} of {self.accepted} never ran ({self.twice} twice); email:"
            f" {self.never_delivered} of {self.emails} never delivered ({self.delivered_twice}"
            f" twice); records: {states}"
        )


def records_of(
    system: System, peers: Path, url: str, workdir: Path, ids: list[str]
) -> dict[str, str]:
    """job id -> state in the system's own records (its job table, its Redis keys)."""
    if system.name == "tracked":
        with contextlib.closing(sqlite3.connect(workdir / "var" / "jobs.sqlite3")) as db:
            found = dict(db.execute("SELECT id, status FROM jobs").fetchall())
        return {i: str(found.get(i, "missing")) for i in ids}
    listed, out = workdir / "ids.txt", workdir / "records.json"
    listed.write_text("\n".join(ids) + "\n")
    tool = [str(peers), str(TOOLS / "job_records.py"), system.name, url, str(listed), str(out)]
    subprocess.run(tool, check=True, capture_output=True)
    return dict(json.loads(out.read_text()))


def kill_mid_run(
    project: Project, system: System, peers: Path, jobs: int, recovery: float
) -> Loss | None:
    """`jobs` requests, no-op and email jobs in turn; kill -9 of web and workers once half
    are accepted; restart; count at the stamps, the SMTP server and in the system's records."""
    workdir = OUT / "systems" / f"{system.name}-kill"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    log = workdir / "smtp.log"
    with (
        smtp_server(project, KILL_SMTP_DELAY, log) as port,
        fresh_store(system, system.name.replace("-", "_") + "_kill") as url,
    ):
        if url is None:
            return None
        env = set_up(project, system, workdir, url, port)
        with running(project, system, workdir, env, system.name) as up:
            warm(up.server, system, workdir)
            with ThreadPoolExecutor(CONNECTIONS) as pool:
                answers = [
                    pool.submit(
                        post, up.server, system.email_path if i % 2 else system.path, f"kill {i}"
                    )
                    for i in range(jobs)
                ]
                while sum(a.done() and a.result()[0] == 202 for a in answers) < jobs // 2:
                    if all(a.done() for a in answers):
                        break
                    time.sleep(0.005)
                for pid in up.pids:
                    kill_tree(pid)
                accepted = {i: a.result()[1] for i, a in enumerate(answers) if a.result()[0] == 202}
        noop = {f"kill_{i}" for i in accepted if i % 2 == 0}
        email = {f"kill {i}" for i in accepted if i % 2}
        with running(project, system, workdir, env, system.name + "-restarted"):
            deadline = time.monotonic() + recovery
            while time.monotonic() < deadline:
                if noop <= set(stamps(workdir, "kill_")) and email <= set(received(log)):
                    break
                time.sleep(0.2)
            time.sleep(1)  # what was running at the end finishes and is recorded
        ran, delivered = set(stamps(workdir, "kill_")), received(log)
        states = records_of(system, peers, url, workdir, list(accepted.values()))
    never = {
        i for i in accepted if (f"kill {i}" not in delivered if i % 2 else f"kill_{i}" not in ran)
    }
    done_state = DONE[system.name]
    silent = sum(1 for i in never if states[accepted[i]] not in CUT_OFF)
    return Loss(
        accepted=len(noop),
        lost=len(noop - ran),
        twice=ran_twice(workdir, "kill_"),
        emails=len(email),
        never_delivered=len(email - set(delivered)),
        delivered_twice=duplicates([s for s in delivered if s.startswith("kill ")]),
        records=dict(collections.Counter(states.values())),
        undone_records=sum(1 for state in states.values() if state != done_state),
        silent=silent,
    )


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
    for name in ("pgqueuer", "pgqueuer-batched", "procrastinate"):
        with postgres_database(
            f"bench_systems_store_{name.replace('-', '_')}_{int(time.time())}"
        ) as url:
            if url is None:
                continue
            if name.startswith("pgqueuer"):
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
    rounds: tuple[int, int],
    kill_jobs: int,
    store_jobs: int,
    recovery: float,
) -> None:
    shutil.rmtree(OUT / "systems", ignore_errors=True)
    systems = job_systems_of(project, postgres, peers, arq)
    results: dict[str, list[Run]] = {s.name: [] for s in systems}
    emails: dict[str, list[Run]] = {s.name: [] for s in systems}
    missing: set[str] = set()
    wait = max(60.0, 10.0 * seconds)
    log = OUT / "systems" / "smtp.log"
    with smtp_server(project, 0, log) as port:
        for number in range(rounds[0]):
            for system in systems:
                if system.name in missing:
                    continue
                run = measure(project, system, seconds, number, wait, (port, log))
                if run is None:
                    missing.add(system.name)
                    continue
                results[system.name].append(run)
                report.loads.append(run.load)
        for number in range(rounds[1]):
            for system in systems:
                if system.name not in missing:
                    run = measure(project, system, seconds, number, wait, (port, log), email=True)
                    if run is not None:
                        emails[system.name].append(run)
    losses = {
        s.name: loss
        for s in systems
        if s.name not in missing and (loss := kill_mid_run(project, s, peers, kill_jobs, recovery))
    }
    rates = store_rates(project, postgres, peers, store_jobs, report)
    measured = [s for s in systems if results[s.name]]
    for system in measured:
        report.labels[system.name] = f"job systems: {system.label}"
    summarise(
        report, measured, results, emails, losses, rates, missing,
        (kill_jobs, recovery, store_jobs), peers, arq, project,
    )  # fmt: skip
