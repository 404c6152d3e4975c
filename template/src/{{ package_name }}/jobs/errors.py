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


class JobStoreStartupError(RuntimeError):
    """The store cannot be opened at start-up; the message is one line for the operator."""


def public_message(database: Database, error: JobStoreUnavailableError) -> str:
    """What a client may read of `error`: the setting and the cause, not where the store is."""
    setting = database.name.partition("=")[0]
    cause = database.cause(error.__cause__) if error.__cause__ else "no answer in time"
    return f"the jobs store ({setting}) is unavailable: {cause}"


def describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
