"""Each supported combination, as rendered: lint-clean, type-clean, and its own tests pass.

Runs in a shared environment per Python version that holds every dependency any
combination can declare (tests/generated-requirements.txt), on the interpreter the
combination's `python_version` answer names. One combination per Python version and jobs
store runs its whole suite; the others skip the job runtime's slow tests (combos.FULL_SUITES).
"""

import pytest
from combos import FULL_SUITES, SUPPORTED, params
from conftest import clean_env, read_answers, run, shared_environment, tool

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("combo", params())]


@pytest.fixture
def project(rendered, combo: str):
    return rendered(combo, SUPPORTED[combo])


@pytest.fixture
def env(project):
    return shared_environment(read_answers(project)["python_version"])


def test_ruff_check_passes(project, env) -> None:
    run([tool(env, "ruff"), "check", "--no-cache", "."], project)


def test_ruff_format_check_passes(project, env) -> None:
    run([tool(env, "ruff"), "format", "--no-cache", "--check", "."], project)


def test_mypy_strict_passes(project, env, tmp_path_factory) -> None:
    # One cache per worker and Python version: third-party stubs are analysed once, not per
    # combination; mypy still re-checks every project file (by content hash).
    cache = tmp_path_factory.getbasetemp() / f"mypy-cache-{read_answers(project)['python_version']}"
    run([tool(env, "mypy"), "--cache-dir", str(cache)], project, clean_env())


def test_generated_test_suite_passes(project, env, combo: str) -> None:
    quick = [] if combo in FULL_SUITES else ["-m", "not slow"]
    result = run(
        [tool(env, "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *quick],
        project,
        clean_env(),
    )
    assert " passed" in result.stdout
    assert " failed" not in result.stdout
