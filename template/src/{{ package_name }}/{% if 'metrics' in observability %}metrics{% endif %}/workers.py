"""`serve --workers N`: one metrics page summing every worker process."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def share_between_workers(workers: int) -> None:
    """Have the worker processes write their metrics to files in one fresh directory.

    Called before uvicorn starts them (they inherit the environment). One process needs
    none: its metrics stay in memory. A directory given in PROMETHEUS_MULTIPROC_DIR is
    used and emptied first (old processes' files would be summed in); otherwise one is
    made and removed when `serve` exits.
    """
    given = os.environ.get(VARIABLE)
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        return
    if workers > 1:
        directory = tempfile.mkdtemp(prefix="metrics-")
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        os.environ[VARIABLE] = directory
