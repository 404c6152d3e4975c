"""What can go wrong with the jobs store, as the rest of the service sees it."""

from .database import Database


class JobStoreUnavailableError(RuntimeError):
    """The store cannot take a write right now (locked, full, read-only, unreachable).

    A request that needed the write answers 503 with Retry-After. The message names the
    setting, its value and the database's own words, for the log; the answer says only
    `public_message` (no path, host, user or database name). The store recovers by itself
    once the cause is gone.
    """


class JobStoreClosedError(RuntimeError):
    """A write came after the store closed (a job still unwinding at process exit)."""


class JobLostError(BaseException):
    """Another process has taken this job over: this one must drop it and record nothing more.

    Raised where the job meets the store (its point of no return), from inside the job's own
    code: a BaseException, like asyncio.CancelledError, so no `except Exception` in a job
    swallows it and goes on to do what the new owner does too.
    """


class LeaseLostError(RuntimeError):
    """This process's lease ran out and another process took its jobs over (a long pause)."""


class JobStoreStartupError(RuntimeError):
    """The store cannot be opened at start-up; the message is one line for the operator."""


class OutcomeUnknownError(Exception):
    """A job failed after the point where its work may already have taken effect.

    A job raises it when it cannot tell whether the other side acted: a message handed over
    to a server that never confirmed it, a request that went out and got no response.
    Running it again could do the work twice, so the runner records the job `uncertain` at
    once, with this message as its error, and never retries it by itself: a person checks
    and decides. The message says what may have happened, in a sentence.
    """


def public_message(database: Database, error: JobStoreUnavailableError) -> str:
    """What a client may read of `error`: the setting and the cause, not where the store is."""
    setting = database.name.partition("=")[0]
    cause = database.cause(error.__cause__) if error.__cause__ else "no answer in time"
    return f"the jobs store ({setting}) is unavailable: {cause}"


def describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
