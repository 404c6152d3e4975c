"""Keep Python's garbage collector off the request path."""

import functools
import gc

# Every request that schedules a job allocates many short-lived containers (futures,
# tasks, closures); at CPython's default threshold the youngest generation would be
# collected every couple of requests.
YOUNG_GENERATION_THRESHOLD = 10_000


@functools.cache
def tune_garbage_collector() -> None:
    """Once per process, after start-up.

    What start-up built (modules, routes, models, pools) lives as long as the process:
    frozen, it is no longer traversed by every full collection, which under load made up a
    large part of a tracked-job endpoint's tail latency and CPU (the template's bench/notes.md).
    """
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, oldest)
