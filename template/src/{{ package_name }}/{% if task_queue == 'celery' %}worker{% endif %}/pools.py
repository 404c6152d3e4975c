"""Worker pools: Celery enforces time limits only in the prefork pool, so it is the only one."""

from typing import Any

from celery import Celery
from celery.signals import worker_init

TIME_LIMITED_POOL = "prefork"


def pool_refusal(pool: str) -> str:
    return (
        f"--pool {pool} cannot stop a report at REPORT_TIME_LIMIT (Celery enforces time "
        f"limits only in the {TIME_LIMITED_POOL} pool); run --pool {TIME_LIMITED_POOL}"
    )


def refuse_pools_without_time_limits(app: Celery) -> None:
    """Make a worker of `app` exit at start-up, with the reason, unless its pool is prefork
    (however it was chosen: `<slug> worker`, `celery -A ... worker -P`, worker_pool)."""

    def check(sender: Any, **_: object) -> None:
        if sender.app is not app:
            return
        # Imported here: billiard reads REMAP_SIGTERM when it is first imported.
        from celery import concurrency
        from celery.concurrency.prefork import TaskPool

        pool = concurrency.get_implementation(sender.pool_cls)
        if not (isinstance(pool, type) and issubclass(pool, TaskPool)):
            path = f"{pool.__module__}:{pool.__qualname__}"
            aliases: dict[str, str] = getattr(concurrency, "ALIASES", {})
            name = next((alias for alias, target in aliases.items() if target == path), path)
            raise SystemExit(pool_refusal(name))  # SystemExit: Celery logs and ignores Exception

    worker_init.connect(check, weak=False)
