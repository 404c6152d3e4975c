from pydantic import Field

from .store.chosen_engine import StoreSettings


class JobsSettings(StoreSettings):
    jobs_lease_seconds: float = Field(default=20.0, ge=1)
    """A process renews its lease this often (a third of it); when a lease runs out, another
    process records that process's unfinished jobs interrupted."""
    jobs_retention_days: float = Field(default=14, ge=0)
    """Finished job records older than this are pruned while the service runs; 0 keeps them."""
    jobs_max_concurrency: int = Field(default=100, ge=1)
    """Jobs running at once in one process; the rest wait, recorded `queued`."""
    jobs_log_outcomes: bool = True
    """One INFO line per finished job (kind, id, status, seconds, request id); false for none."""
    jobs_max_recoveries: int = Field(default=3, ge=1)
    """A job whose process stopped while it ran this many times is recorded `dead` instead of
    run again (a job that crashes its process is not retried forever); retry it by hand."""
