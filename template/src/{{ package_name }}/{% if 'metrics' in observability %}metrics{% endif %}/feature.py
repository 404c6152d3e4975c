from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ..feature import Feature
from ..jobs import JobRunner, job_counts
from .instruments import Metrics
from .middleware import HttpMetricsMiddleware
from .observer import JobMetrics
from .router import router
from .store_counts import StoreCounts


@asynccontextmanager
async def instruments(app: FastAPI) -> AsyncIterator[None]:
    """After the jobs feature: its runner reports to these metrics, its store's writer too."""
    app.state.metrics = metrics = Metrics()
    runner: JobRunner = app.state.jobs
    runner.observers.append(JobMetrics(metrics))
    runner.store.writer.on_commit = metrics.job_store_write.observe
    store_counts = StoreCounts(job_counts(runner.store), runner)
    metrics.add_collector(store_counts)
    metrics.before_scrape.append(store_counts.refresh)
    try:
        yield
    finally:
        runner.store.writer.on_commit = None
        metrics.close()


feature = Feature(
    name="metrics",
    router=router,
    resources=instruments,
    protected=False,  # guarded by METRICS_TOKEN instead, when it is set
    middleware=(HttpMetricsMiddleware,),
)
