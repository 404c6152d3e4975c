"""The import contract in pyproject.toml ([tool.importlinter]): jobs is layered, the rest of the
service imports jobs from its face, and the Celery worker (where there is one) never reaches
FastAPI. Broken by a new import, it fails here before review does."""

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def test_the_import_contract_is_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(PROJECT / "src")}
    checked = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
