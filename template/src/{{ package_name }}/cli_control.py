"""`jobs cancel` and `jobs retry --status ...`: job control from the command line (cli.py)."""

from collections.abc import Collection, Mapping

import typer

from .jobs import (
    Database,
    JobKind,
    JobNotCancellableError,
    JobNotRetryableError,
    JobStatus,
    RetryNotConfirmedError,
    cancel_offline,
    retry_matching_offline,
)


def cancel(database: Database, job_id: str, kinds: Mapping[str, JobKind]) -> None:
    try:
        job = cancel_offline(database, job_id, kinds)
    except JobNotCancellableError as error:
        typer.echo(f"Cannot cancel: {error}.", err=True)
        raise typer.Exit(1) from None
    if job is None:
        typer.echo(f"No job with id {job_id!r}.", err=True)
        raise typer.Exit(1)
    if job.status is JobStatus.CANCELLED:
        typer.echo(f"Job {job_id} cancelled: it will not run.")
    else:
        typer.echo(f"Job {job_id} runs: the service running it cancels it within a second.")


def retry_many(
    database: Database,
    statuses: list[JobStatus],
    kind: str | None,
    known_kinds: Collection[str],
    *,
    confirmed: bool,
    dry_run: bool,
) -> None:
    try:
        done = retry_matching_offline(
            database, statuses, kind, known_kinds, confirmed=confirmed, dry_run=dry_run
        )
    except RetryNotConfirmedError as error:
        typer.echo(f"Not retried: {error} (--confirm).", err=True)
        raise typer.Exit(1) from None
    except JobNotRetryableError as error:
        typer.echo(f"Cannot retry: {error}.", err=True)
        raise typer.Exit(1) from None
    which = "/".join(status.value for status in statuses) + (f" {kind}" if kind else "")
    if dry_run:
        typer.echo(f"{done.matching} {which} job(s) would be retried (--dry-run).")
        return
    typer.echo(
        f"Retried {len(done.job_ids)} of {done.matching} {which} job(s): a running service"
        " takes them up."
    )
    for new_id in done.job_ids:
        typer.echo(new_id)
