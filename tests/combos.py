"""The answer combinations the template supports, and the ones it must refuse.

A reader learns what the template supports from these lists alone. Every other
test module parametrises over them.
"""

import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml
from pairwise import complete

ALL_JOBS = ["audit_log", "email", "files", "reports"]

SUPPORTED: dict[str, dict[str, Any]] = {
    "defaults": {},
    "everything-off": {
        "async_clients": False,
        "background_jobs": [],
        "schedules": False,
        "jobs_dashboard": False,
        "observability": [],
        "use_docker": False,
        "ci": "none",
    },
    "everything-on": {
        "python_version": "3.13",
        "async_clients": True,
        "background_jobs": ALL_JOBS,
        "task_queue": "celery",
        "broker": "redis",
        "observability": ["metrics", "tracing", "sentry"],
        "use_docker": True,
        "ci": "github",
    },
    "celery-rabbitmq": {
        "background_jobs": ["reports"],
        "async_clients": False,
        "task_queue": "celery",
        "broker": "rabbitmq",
    },
    **{
        f"only-{job}": {"background_jobs": [job], "async_clients": False, "python_version": "3.11"}
        for job in ALL_JOBS
    },
    "only-async-clients": {"background_jobs": [], "async_clients": True},
    # Jobs recorded in PostgreSQL, with the compose service and CI service container it brings;
    # tests/test_postgres_faults.py runs this one as two hosts through an outage and a crash.
    "postgresql-store": {
        "jobs_store": "postgresql",
        "background_jobs": ["email"],
        "async_clients": False,
        "use_docker": True,
        "ci": "github",
    },
}

# The feature answers as pairwise factors: each background job is an on/off factor of its
# own, and `broker` is None when it is not asked (no task queue).
FACTORS: dict[str, list[Any]] = {
    "python_version": ["3.11", "3.12", "3.13"],
    "async_clients": [True, False],
    **{job: [True, False] for job in ALL_JOBS},
    "task_queue": ["none", "celery"],
    "broker": [None, "redis", "rabbitmq"],
    "use_docker": [True, False],
    "ci": ["github", "none"],
    "jobs_store": ["sqlite", "postgresql"],
    "schedules": [True, False],
    "jobs_dashboard": [True, False],
    "observability": [(), ("metrics",), ("sentry",), ("tracing",)],  # tuples: hashable values
}
QUESTIONS = yaml.safe_load((Path(__file__).resolve().parents[1] / "copier.yml").read_text())


def answerable(row: dict[str, Any]) -> bool:
    """What copier.yml lets a user answer: broker only with celery, celery only with reports."""
    if (row["broker"] is None) != (row["task_queue"] == "none"):
        return False
    return row["task_queue"] != "celery" or row["reports"]


def as_row(answers: dict[str, Any]) -> dict[str, Any]:
    """A combination's answers, with copier.yml's defaults filled in, as one factor row."""
    given = {key: answers.get(key, QUESTIONS[key]["default"]) for key in QUESTIONS if key[0] != "_"}
    jobs = given.pop("background_jobs")
    row = {key: given[key] for key in FACTORS if key in given}
    row |= {job: job in jobs for job in ALL_JOBS}
    row["observability"] = tuple(given["observability"])
    if row["task_queue"] == "none":
        row["broker"] = None
    return row


def as_answers(row: dict[str, Any]) -> dict[str, Any]:
    answers = {key: row[key] for key in FACTORS if key not in ALL_JOBS and row[key] is not None}
    answers["background_jobs"] = [job for job in ALL_JOBS if row[job]]
    answers["observability"] = list(row["observability"])
    return answers


def combo_id(row: dict[str, Any]) -> str:
    jobs = "+".join(job for job in ALL_JOBS if row[job]) or "no-jobs"
    queue = f"celery-{row['broker']}" if row["task_queue"] == "celery" else "no-queue"
    return "-".join(
        [
            f"pairs-py{row['python_version']}",
            "async" if row["async_clients"] else "no-async",
            jobs,
            queue,
            "docker" if row["use_docker"] else "no-docker",
            f"ci-{row['ci']}",
            row["jobs_store"],
            "schedules" if row["schedules"] else "no-schedules",
            "dashboard" if row["jobs_dashboard"] else "no-dashboard",
            "+".join(row["observability"]) or "no-observability",
        ]
    )


def test_time(row: dict[str, Any]) -> int:
    """Rough cost of a row's generated test suite: each feature brings its own tests."""
    return (
        sum(row[job] for job in ALL_JOBS)
        + row["async_clients"]
        + 2 * (row["task_queue"] != "none")
        + (row["jobs_store"] == "postgresql")
    )


# Plus the rows needed so that every two feature answers meet in at least one combination
# (tests/test_matrix.py proves the coverage); among equally good rows, the quicker to test.
PAIRWISE = {
    combo_id(row): as_answers(row)
    for row in complete(
        FACTORS, answerable, seeds=[as_row(a) for a in SUPPORTED.values()], cost=test_time
    )
}
SUPPORTED |= PAIRWISE


def features_on(row: dict[str, Any]) -> int:
    """How much of the template a row switches on: the tie-break for picking full suites."""
    switches = ["async_clients", *ALL_JOBS, "schedules", "jobs_dashboard"]
    return (
        sum(row[name] for name in switches)
        + (row["task_queue"] != "none")
        + len(row["observability"])
    )


def features_per_store(row: dict[str, Any]) -> set[tuple[str, str]]:
    """(jobs store, feature) for each feature the row switches on, task queue included."""
    switches = ["async_clients", *ALL_JOBS, "schedules", "jobs_dashboard"]
    features = {name for name in switches if row[name]}
    features |= {f"task_queue={row['task_queue']}", *row["observability"]}
    return {(row["jobs_store"], feature) for feature in features}


def full_suite_combos(combos: dict[str, dict[str, Any]]) -> set[str]:
    """One combination per Python version, together on both jobs stores, with as many features
    on each store as three rows can hold: these run their whole generated suite. The tests of
    the job runtime (marked `slow` in the generated projects: real service processes,
    waited-out timeouts) are the same text in every render, so every other combination runs
    its quick tests only (`-m "not slow"`): its rendering, wiring and features."""
    per_version: dict[str, list[str]] = {}
    for name, answers in combos.items():
        per_version.setdefault(as_row(answers)["python_version"], []).append(name)

    def reach(names: tuple[str, ...]) -> tuple[int, int, int]:
        rows = [as_row(combos[name]) for name in names]
        return (
            len({row["jobs_store"] for row in rows}),
            len(set().union(*map(features_per_store, rows))),
            sum(map(features_on, rows)),
        )

    return set(max(itertools.product(*per_version.values()), key=reach))


FULL_SUITES = full_suite_combos(SUPPORTED)

# The generated tests of the job runtime and the request limits themselves: the same text in
# every combination but for the jobs store (test_matrix proves it), so they run in the full
# suites (each store, each Python version) and the other combinations run their feature and
# wiring tests (endpoints, the API token on every route, the settings, the CLI, ...).
RUNTIME_TESTS = (
    "test_fencing.py",
    "test_job_lists.py",
    "test_job_outcomes.py",
    "test_job_progress.py",
    "test_job_runner.py",
    "test_job_store.py",
    "test_jobs_come_back.py",
    "test_limits.py",
    "test_parent_death.py",
    "test_postgresql_store.py",
    "test_shutdown.py",
    "test_sqlite_store.py",
)


# Answers that must be refused with a message naming the question, writing nothing.
UNSUPPORTED: dict[str, tuple[dict[str, Any], str]] = {
    "empty-project-name": ({"project_name": "  "}, "project_name"),
    "slug-with-capitals": ({"project_slug": "MyApp"}, "project_slug"),
    "slug-starting-with-digit": ({"project_slug": "1app"}, "project_slug"),
    "slug-with-underscore": ({"project_slug": "my_app"}, "project_slug"),
    "package-not-identifier": ({"package_name": "my-app"}, "package_name"),
    "package-keyword": ({"package_name": "class"}, "package_name"),
    "package-shadows-stdlib": ({"package_name": "logging"}, "package_name"),
    "package-shadows-dependency": ({"package_name": "fastapi"}, "package_name"),
    "package-named-test": ({"package_name": "test"}, "package_name"),
    "bad-email": ({"author_email": "not-an-email"}, "author_email"),
    "email-with-newline": ({"author_email": "a@b.com\nBcc: x@y.com"}, "author_email"),
    "unknown-python": ({"python_version": "3.9"}, "python_version"),
    "unknown-job": ({"background_jobs": ["email", "fax"]}, "background_jobs"),
    "unknown-queue": ({"task_queue": "rq"}, "task_queue"),
    "celery-without-reports": (
        {"task_queue": "celery", "background_jobs": ["email"]},
        "task_queue",
    ),
    "unknown-broker": ({"task_queue": "celery", "broker": "kafka"}, "broker"),
    "unknown-ci": ({"ci": "jenkins"}, "ci"),
    "unknown-observability": ({"observability": ["metrics", "grafana"]}, "observability"),
}


def params(combos: dict[str, dict[str, Any]] = SUPPORTED) -> list[Any]:
    """Parametrisation over combinations (each renders once per run: conftest.rendered)."""
    return [pytest.param(name, id=name) for name in combos]
