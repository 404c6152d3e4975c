"""Refuses a combination of answers the template does not support, with one line and exit 1.

Copier runs it before `copier update` changes anything (a `_migrations` "before" step) and first
after `copier copy` (a `_tasks` step). Why not only copier.yml's validators: on update copier
quietly drops a recorded answer its validator refuses and takes the question's default instead
(`task_queue: celery` became `none`, deleting the worker), and a validator refusing an answer
given with `-d` stops the copy with a traceback. So the validators stay for questions answered
at the prompt, and this script is the check for answers given on the command line.

Usage: check_answers.py ANSWERS_FILE DATA_JSON — the recorded answers, then the answers given on
the command line (`_copier_conf.data`), which win.
"""

import json
import sys
from pathlib import Path
from typing import Any

import yaml  # Copier's own dependency: this script runs on Copier's Python


def given(data: dict[str, Any]) -> dict[str, Any]:
    """Answers as given with `-d key=value` arrive as strings: a list answer is YAML flow style."""
    return {
        key: yaml.safe_load(value) if key == "background_jobs" and isinstance(value, str) else value
        for key, value in data.items()
    }


def refusal(answers: dict[str, Any]) -> str | None:
    jobs = answers.get("background_jobs", [])
    if answers.get("task_queue") == "celery" and "reports" not in jobs:
        return (
            "task_queue: celery runs the reports job; add 'reports' to background_jobs"
            " or choose none"
        )
    return None


def main(answers_file: str, data_json: str) -> int:
    path = Path(answers_file)
    recorded = yaml.safe_load(path.read_text()) if path.is_file() else {}
    answers = {**(recorded or {}), **given(json.loads(data_json))}
    message = refusal(answers)
    if message is None:
        return 0
    print(message, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
