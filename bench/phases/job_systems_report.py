"""The job-systems phase's report: its tables, its method, each system's layout and where
that layout comes from, and the issue's goals, met or not with what explains a miss."""

from __future__ import annotations

import math
import statistics
from pathlib import Path
from typing import TYPE_CHECKING

from processes import LOADGEN_CPU
from project import Project
from report import Report, installed

if TYPE_CHECKING:
    from phases.job_systems import Loss, Run, System

LAYOUTS = {
    "tracked": "The generated README: one uvicorn process per service; its jobs run in it (no"
    " worker process).",
    "procrastinate": "procrastinate's docs, 'Execute multiple jobs at the same time': a worker"
    " takes one job at a time by default; launch several workers, one process each, and for"
    " async tasks `procrastinate worker --concurrency=N` (the docs' example: 30)."
    " https://procrastinate.readthedocs.io/en/stable/howto/production/concurrency.html",
    "pgqueuer": "pgqueuer's README: workers coordinate with `FOR UPDATE SKIP LOCKED`, so several"
    " `pgq run` processes share a queue; `pgq run`'s defaults (batch size 10, heartbeat timeout"
    " 30 s: a picked job whose worker is gone is picked again after it)."
    " https://pypi.org/project/pgqueuer/ and pgqueuer 1.6.0's `QueueManager.run` signature",
    "saq": "saq's README / docs, 'Usage': `saq settings --workers N`, 'Number of worker"
    " processes'; each worker runs up to `concurrency` jobs (default 10, `saq/worker.py`)."
    " https://github.com/tobymao/saq",
    "arq": "arq's defaults: `max_jobs` 10 per worker (`arq/constants.py`), `poll_delay` 0.5 s;"
    " `arq module.WorkerSettings`, one process each, as many as wanted."
    " https://arq-docs.helpmanual.io/",
    "celery": "Celery's worker reference: `--concurrency`, 'Number of child processes processing"
    " the queue. The default is the number of CPUs' (2 here); prefork, 'generally recommended"
    " for most users' (Concurrency guide); `task_acks_late` as the issue asks; Redis"
    " `visibility_timeout` left at its default, 1 h (kombu's Redis transport)."
    " https://docs.celeryq.dev/en/stable/reference/cli.html#celery-worker",
}
LAYOUTS["tracked-pg"] = LAYOUTS["tracked"]
NOOP_HEADER = [
    "System", "Layout", "accepted req/s", "202 p50 ms", "202 p99 ms", "completed jobs/s",
    "accept→done p99 ms", "CPU ms/job (web + workers)", "cores 0, 1 busy", "done / accepted",
    "store-level jobs/s",
]  # fmt: skip
EMAIL_HEADER = [
    "System", "accepted req/s", "202 p50 ms", "202 p99 ms", "delivered emails/s",
    "CPU ms/email (web + workers)", "cores 0, 1 busy", "delivered / accepted",
]  # fmt: skip
KILL_HEADER = [
    "System", "no-op: never ran / accepted (twice)", "email: never delivered / accepted (twice)",
    "its records", "not done by its records", "never ran, not recorded as cut off",
]  # fmt: skip


def median_of(runs: list[Run], value: str) -> float:
    values = [getattr(run.load, value) if value == "rps" else getattr(run, value) for run in runs]
    values = [v for v in values if not math.isnan(v)]
    return statistics.median(values) if values else float("nan")


def figures_of(runs: list[Run]) -> dict[str, float]:
    return {
        "rps": median_of(runs, "rps"),
        "p50": statistics.median(run.load.percentiles_ms["p50"] for run in runs),
        "p99": statistics.median(run.load.percentiles_ms["p99"] for run in runs),
        "completed": median_of(runs, "completed_per_second"),
        "done_p99": median_of(runs, "accept_to_done_p99_ms"),
        "cpu": median_of(runs, "cpu_ms_per_job"),
        "core0": statistics.median(run.load.cores_busy[0] for run in runs),
        "core1": statistics.median(run.load.cores_busy[1] for run in runs),
        "errors": sum(run.load.non2xx + run.load.socket_errors for run in runs),
        "done": sum(run.done for run in runs),
        "accepted": sum(run.load.accepted for run in runs),
    }


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]


def summarise(
    report: Report,
    systems: list[System],
    results: dict[str, list[Run]],
    emails: dict[str, list[Run]],
    losses: dict[str, Loss],
    rates: dict[str, float],
    missing: set[str],
    scale: tuple[int, float, int],
    peers: Path,
    arq: Path,
    project: Project,
) -> None:
    """`scale`: requests and recovery time of the kill -9 run, jobs of the store loops."""
    from phases import job_systems as js

    noop = {s.name: figures_of(results[s.name]) for s in systems}
    mail = {s.name: figures_of(emails[s.name]) for s in systems if emails[s.name]}
    rows, mail_rows, kill_rows = [], [], []
    for s in systems:
        f = noop[s.name]
        rate = f"{rates[s.name]:.0f}" if s.name in rates else "—"
        rows.append(
            [s.label, s.layout, f"{f['rps']:.0f}", f"{f['p50']:.2f}", f"{f['p99']:.2f}",
             f"{f['completed']:.0f}", f"{f['done_p99']:.1f}", f"{f['cpu']:.3f}",
             f"{f['core0']:.0%}, {f['core1']:.0%}", f"{f['done']} / {f['accepted']}", rate]
        )  # fmt: skip
        report.add(
            "job systems: no-op",
            f"{s.label}: req/s, p50, p99, completed/s, accept→done p99, CPU/job; errors",
            f"{f['rps']:.0f}, {f['p50']:.2f} ms, {f['p99']:.2f} ms, {f['completed']:.0f}/s,"
            f" {f['done_p99']:.1f} ms, {f['cpu']:.3f} ms; {f['errors']:.0f}",
        )
        if s.name in mail:
            m = mail[s.name]
            mail_rows.append(
                [s.label, f"{m['rps']:.0f}", f"{m['p50']:.2f}", f"{m['p99']:.2f}",
                 f"{m['completed']:.0f}", f"{m['cpu']:.3f}", f"{m['core0']:.0%}, {m['core1']:.0%}",
                 f"{m['done']} / {m['accepted']}"]
            )  # fmt: skip
            report.add(
                "job systems: email",
                f"{s.label}: req/s, p50, p99, delivered/s, CPU/email; errors",
                f"{m['rps']:.0f}, {m['p50']:.2f} ms, {m['p99']:.2f} ms, {m['completed']:.0f}/s,"
                f" {m['cpu']:.3f} ms; {m['errors']:.0f}",
            )
        if (loss := losses.get(s.name)) is not None:
            states = "; ".join(f"`{state}` {n}" for state, n in sorted(loss.records.items()))
            kill_rows.append(
                [s.label, f"{loss.lost} / {loss.accepted} ({loss.twice})",
                 f"{loss.never_delivered} / {loss.emails} ({loss.delivered_twice})",
                 states, str(loss.undone_records), str(loss.silent)]
            )  # fmt: skip
            report.add("job systems: kill -9", s.label, loss.describe())
    versions = {**installed(arq), **installed(peers)}
    versions.update({k: v for k, v in installed(project.python).items() if k in ("fastapi",)})
    arq_redis = installed(arq).get("redis")
    listed = ", ".join(
        f"{name} {versions[name]}" for name in js.PACKAGES if name in versions and name != "redis"
    )
    lines = [
        "## Job systems",
        "",
        "The same FastAPI endpoint and request model (`EmailRequest`) scheduling the same job"
        " through each system: first a no-op (its only work: one line appended to a file,"
        " `bench/apps/stamps.py`, which tells when it ran), then an email to the local SMTP"
        " server (`bench/apps/mail.py`: one `aiosmtplib.send` per message, `smtplib` in"
        " Celery's `def` task; the tracked runner sends with the generated service's own email"
        " job, `POST /emails`, pooled sessions). `bench/phases/job_systems.py`, apps in"
        " `bench/apps/`. How it is measured:",
        "",
        f"- Cores: one uvicorn process per web app; the web server and every worker process"
        f" pinned together to cores {js.CORES} (`taskset -c {js.CORES}`): the tracked runner's"
        " one process may use either core, the peers' web server and workers share both. wrk"
        f" (1 thread, {js.CONNECTIONS} connections) and the SMTP server (aiosmtpd) are pinned to"
        f" core {LOADGEN_CPU}, with them: every system pays for them alike.",
        f"- Versions (pinned in the peers' venvs, built with the project's exact versions as"
        f" constraints; arq in its own venv, as it needs an older redis client): {listed};"
        f" redis (Python client) {versions.get('redis', '?')} (arq's venv: {arq_redis or '?'}).",
        f"- Rounds: {len(next(iter(results.values())))} interleaved rounds of each system with"
        f" the no-op job (A B C ... A B C ...), then {len(next(iter(emails.values())))} with"
        " the email job (`--email-rounds`); every run on a fresh store (a scratch"
        f" PostgreSQL database; Redis db {js.REDIS_DB} flushed) after {js.WARM} warm-up jobs;"
        " figures are medians of the rounds.",
        "- Columns: accepted req/s, p50 and p99 of the 202 (wrk); completed jobs/s = jobs run"
        " (stamps) or messages delivered (SMTP server's log) / (the last one's time - wrk's"
        " start), so it includes the drain after the load; accept→done p99: from the"
        " endpoint's `time.time()` to the job's stamp; CPU ms per job: web server and workers"
        " with their children (`/proc`), from wrk's start to the last job (not the"
        " PostgreSQL or Redis server's own CPU: machine services, on both cores, in the cores"
        " column); cores: how busy each core was during wrk (every process on it); done /"
        " accepted: over every round.",
        f"- kill -9: {scale[0]} requests from {js.CONNECTIONS} threads, no-op and email jobs in"
        f" turn (the SMTP server takes {js.KILL_SMTP_DELAY * 1000:.0f} ms a message, so emails are"
        " in flight); the web server and every worker (with its children) get SIGKILL once half"
        f" are accepted; all restart; up to {scale[1]:.0f} s for the accepted jobs to run (each"
        " system's own recovery: the tracked runner's lease, pgqueuer's heartbeat timeout,"
        " saq's sweep, arq's in-progress key, Celery's visibility timeout). Counted at the"
        " stamps and the SMTP server, and in each system's own records of the accepted jobs"
        " (`bench/tools/job_records.py`: its jobs table, or its Redis keys).",
        "",
        "No-op job:",
        "",
        *table(NOOP_HEADER, rows),
        "Email job (the same SMTP server, no delay):",
        "",
        *table(EMAIL_HEADER, mail_rows),
        "kill -9 of web and workers mid-run (never ran or never delivered / accepted, and how"
        " many ran twice; the system's records of the accepted jobs after the restart: state"
        " and count; how many are not in the system's `done` state; how many never ran and are"
        " not recorded as cut off, `interrupted` or `uncertain`):",
        "",
        *table(KILL_HEADER, kill_rows),
        "Store-level, without HTTP: "
        + ", ".join(f"{name} {rate:.0f} jobs/s" for name, rate in rates.items())
        + f" (`bench/tools/store_rate.py`, `bench/tools/peer_store_rate.py`: {scale[2]} no-op jobs"
        f" scheduled in waves of {js.WAVE} while one worker runs them, to the last one run;"
        " pgqueuer on psycopg. pgqueuer and procrastinate install no benchmark script:"
        " their documented enqueue + dequeue API, and for `pgqueuer-batched` the set-up of"
        " pgqueuer's own benchmark (its repository's `tools/benchmark.py`: 10 jobs per enqueue"
        " call, 5 consumers with a dequeue batch of 10), with the same no-op job).",
        "",
        "Each layout and where it comes from:",
        "",
        *(f"- {s.label} ({s.layout}): {LAYOUTS[s.name]}" for s in systems),
        "",
    ]
    if missing:
        lines.insert(-1, f"Not measured (store not reachable): {', '.join(sorted(missing))}.")
    report.sections.append(lines)
    goals(report, systems, noop, losses, rates)


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
        f"{s.label} {losses[s.name].lost + losses[s.name].never_delivered}"
        f"/{losses[s.name].accepted + losses[s.name].emails}"
        for s in peers
        if s.name in losses
    )
    for ours in tracked:
        f, b = figures[ours.name], figures[best.name]
        ratio = f["completed"] / b["completed"]
        why = (
            f"CPU per job: {f['cpu']:.3f} ms in the tracked runner's one process (web and jobs;"
            f" cores busy {f['core0']:.0%}, {f['core1']:.0%}) against {b['cpu']:.3f} ms over"
            f" {best.label}'s web server and workers (cores {b['core0']:.0%}, {b['core1']:.0%}):"
            f" at 100% of one core the tracked runner's ceiling is ~{1000 / f['cpu']:.0f} jobs/s,"
            f" {best.label}'s processes spread over both."
        )
        report.goal(
            f"job systems: {ours.label}: completed jobs/s vs the best peer ({best.label})",
            ">= 1.5x",
            f"{ratio:.2f}x ({f['completed']:.0f} vs {b['completed']:.0f}/s)",
            ratio >= 1.5,
            why,
        )
        slower = [s for s in peers if f["p99"] > figures[s.name]["p99"]]
        report.goal(
            f"job systems: {ours.label}: p99 of the 202 vs every peer's",
            "<= each peer's",
            f"{f['p99']:.2f} ms; peers "
            + ", ".join(f"{s.label} {figures[s.name]['p99']:.2f}" for s in peers),
            not slower,
            "Higher than "
            + ", ".join(s.label for s in slower)
            + ": the 202 waits for the job's record to be committed, and in the same process"
            " the event loop also runs the jobs; those peers' web process only enqueues"
            if slower
            else "",
        )
        if ours.name in losses:
            loss = losses[ours.name]
            report.goal(
                f"job systems: {ours.label}: accepted jobs lost to kill -9 of web and workers",
                "0 never run without a record saying so",
                f"{loss.silent} (no-op {loss.lost}/{loss.accepted} never ran, email"
                f" {loss.never_delivered}/{loss.emails} never delivered; records"
                f" {loss.records}); peers, never ran or delivered: {lost or 'not measured'}",
                loss.silent == 0,
            )
        theirs = max(
            (name for name in ("pgqueuer", "pgqueuer-batched") if name in rates),
            key=lambda name: rates[name],
            default=None,
        )
        if ours.name in rates and theirs is not None:
            report.goal(
                f"job systems: {ours.label}: store-level jobs/s vs pgqueuer on psycopg"
                " (the better of its two set-ups)",
                ">= 1.0x",
                f"{rates[ours.name] / rates[theirs]:.2f}x ({rates[ours.name]:.0f} vs"
                f" {rates[theirs]:.0f} jobs/s, {theirs})",
                rates[ours.name] >= rates[theirs],
                f"Per job: {1e6 / rates[ours.name]:.0f} µs recorded, run and finished through"
                f" the runner's API vs {1e6 / rates[theirs]:.0f} µs enqueued, dequeued and"
                " acknowledged by pgqueuer",
            )
