"""The answer combinations the template supports, and the ones it must refuse.

A reader learns what the template supports from these lists alone. Every other
test module parametrises over them.
"""

from typing import Any

import pytest

ALL_JOBS = ["audit_log", "email", "files", "reports"]

SUPPORTED: dict[str, dict[str, Any]] = {
    "defaults": {},
    "everything-off": {
        "async_clients": False,
        "background_jobs": [],
        "use_docker": False,
        "ci": "none",
    },
    "everything-on": {
        "python_version": "3.13",
        "async_clients": True,
        "background_jobs": ALL_JOBS,
        "task_queue": "celery",
        "broker": "redis",
        "use_docker": True,
        "ci": "github",
    },
    **{
        f"only-{job}": {"background_jobs": [job], "async_clients": False, "python_version": "3.11"}
        for job in ALL_JOBS
    },
    "only-async-clients": {"background_jobs": [], "async_clients": True},
}

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
}


def params(combos: dict[str, dict[str, Any]] = SUPPORTED) -> list[Any]:
    """Parametrisation over combinations; one xdist group each, so each renders once."""
    return [pytest.param(name, id=name, marks=pytest.mark.xdist_group(name)) for name in combos]
