"""The answer matrix: every two feature answers meet in at least one checked combination.

The combinations themselves are rendered and checked by test_rendering.py and
test_generated_projects.py, which parametrise over `combos.SUPPORTED` (the hand-picked
combinations plus the pairwise rows). These tests prove that list is what it claims.
"""

import itertools
import re

from combos import (
    ALL_JOBS,
    FACTORS,
    FULL_SUITES,
    PAIRWISE,
    RUNTIME_TESTS,
    SUPPORTED,
    answerable,
    as_row,
)
from conftest import ROOT
from pairwise import complete, pairs_of, required_pairs


def test_every_pair_of_feature_answers_is_in_the_matrix() -> None:
    rows = [as_row(answers) for answers in SUPPORTED.values()]
    covered = set().union(*(pairs_of(row, list(FACTORS)) for row in rows))

    missing = required_pairs(FACTORS, answerable) - covered
    assert missing == set()


def test_matrix_holds_all_on_and_all_off() -> None:
    rows = [as_row(answers) for answers in SUPPORTED.values()]
    switches = ["async_clients", *ALL_JOBS, "use_docker", "schedules", "jobs_dashboard"]

    all_on = {
        **dict.fromkeys(switches, True),
        **{"python_version": "3.13", "task_queue": "celery", "broker": "redis", "ci": "github"},
        "jobs_store": "sqlite",
        "observability": ("metrics", "tracing", "sentry"),
    }
    all_off = {
        **dict.fromkeys(switches, False),
        **{"python_version": "3.12", "task_queue": "none", "broker": None, "ci": "none"},
        "jobs_store": "sqlite",
        "observability": (),
    }
    assert all_on in rows
    assert all_off in rows


def test_pairwise_rows_are_added_to_the_supported_list() -> None:
    assert PAIRWISE
    assert PAIRWISE.items() <= SUPPORTED.items()


def test_matrix_never_holds_an_answer_copier_refuses() -> None:
    for name, answers in SUPPORTED.items():
        row = as_row(answers)
        assert not (row["task_queue"] == "celery" and not row["reports"]), name
        assert ("broker" in answers) <= (row["task_queue"] == "celery"), name


def test_both_brokers_both_jobs_stores_and_every_python_version_are_rendered() -> None:
    rows = [as_row(answers) for answers in SUPPORTED.values()]

    assert {row["broker"] for row in rows} == {None, "redis", "rabbitmq"}
    assert {row["jobs_store"] for row in rows} == {"sqlite", "postgresql"}
    assert {row["python_version"] for row in rows} == set(FACTORS["python_version"])


def test_pairs_that_copier_refuses_are_not_required() -> None:
    required = required_pairs(FACTORS, answerable)

    assert (("reports", False), ("task_queue", "celery")) not in required
    assert (("reports", True), ("task_queue", "celery")) in required
    assert (("task_queue", "none"), ("broker", "redis")) not in required


def test_generator_covers_all_pairs_with_fewer_rows_than_the_product() -> None:
    factors = {name: [0, 1, 2] for name in "abcd"}

    rows = complete(factors, lambda row: True)

    assert set().union(*(pairs_of(row, list(factors)) for row in rows)) == required_pairs(
        factors, lambda row: True
    )
    assert 9 <= len(rows) < 3**4  # 9 is the lower bound: 3 values x 3 values


def test_generator_adds_nothing_when_the_seeds_already_cover_every_pair() -> None:
    factors = {"a": [True, False], "b": [True, False]}
    seeds = [{"a": a, "b": b} for a, b in itertools.product([True, False], repeat=2)]

    assert complete(factors, lambda row: True, seeds) == []


def test_each_python_version_and_each_jobs_store_runs_a_whole_generated_suite() -> None:
    rows = [as_row(SUPPORTED[name]) for name in FULL_SUITES]

    assert sorted(row["python_version"] for row in rows) == FACTORS["python_version"]
    assert {row["jobs_store"] for row in rows} == set(FACTORS["jobs_store"])


def test_every_feature_runs_its_slow_tests_on_each_jobs_store() -> None:
    rows = [as_row(SUPPORTED[name]) for name in FULL_SUITES]
    for store in FACTORS["jobs_store"]:
        on_store = [row for row in rows if row["jobs_store"] == store]

        for switch in ["async_clients", *ALL_JOBS, "schedules", "jobs_dashboard"]:
            assert any(row[switch] for row in on_store), (store, switch)
        assert any(row["task_queue"] == "celery" for row in on_store), store
    # The rest is not the jobs store's business: once in any full suite.
    assert {row["task_queue"] for row in rows} == {"none", "celery"}
    assert {name for row in rows for name in row["observability"]} == {
        "metrics",
        "tracing",
        "sentry",
    }


def test_the_runtime_tests_read_the_same_in_every_combination_with_their_store() -> None:
    """What lets the other combinations skip them: no answer but the store shapes their text."""
    sources = {
        re.sub(r"\{%.*?%\}", "", path.name).removesuffix(".jinja"): path
        for path in (ROOT / "template" / "tests").iterdir()
    }
    for name in RUNTIME_TESTS:
        text = sources[name].read_text()
        answers = set(re.findall(r"\{\{\s*(\w+)", text)) | set(re.findall(r"\{%", text))
        assert answers <= {"package_name"}, f"{name} depends on {answers}"
        store = re.findall(r"jobs_store == '(\w+)'", sources[name].name)
        assert store in ([], [name.removeprefix("test_").removesuffix("_store.py")]), name
