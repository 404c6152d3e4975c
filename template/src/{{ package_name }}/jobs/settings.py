from typing import Annotated

from pydantic import Field

from .store.chosen_engine import StoreSettings


class JobsSettings(StoreSettings):
    jobs_lease_seconds: float = Field(default=20.0, ge=1)
    """A process renews its lease this often (a third of it); when a lease runs out, another
    process records that process's unfinished jobs interrupted."""
    jobs_retention_days: float = Field(default=14, ge=0)
    """Finished job records older than this are pruned while the service runs; 0 keeps them."""
    jobs_max_concurrency: int = Field(default=100, ge=1)
    """Jobs running at once in one process, of every kind; the rest wait in the store."""
    jobs_kind_concurrency: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)
    """Jobs of one kind at once in one process, by kind (JSON: `{"files": 16}`), over each
    kind's default (README); never more than JOBS_MAX_CONCURRENCY in all."""
    jobs_kind_rate: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)
    """Jobs of one kind that may start a second in one process, by kind (JSON: `{"email": 5}`),
    evenly spaced; a kind not named has no rate limit."""
    jobs_max_backlog: int = Field(default=10_000, ge=1)
    """Jobs of one kind that may wait in one process's backlog; beyond it, 503."""
    jobs_shared_disk: bool = False
    """Every host sharing the PostgreSQL store sees the same directories (FILES_DIR, ...):
    host-local kinds' jobs may then be taken over by any host, not only their own."""
    jobs_log_outcomes: bool = True
    """One INFO line per finished job (kind, id, status, seconds, request id); false for none."""
    jobs_max_recoveries: int = Field(default=3, ge=1)
    """A job whose process stopped while it ran this many times is recorded `dead` instead of
    run again (a job that crashes its process is not retried forever); retry it by hand."""
