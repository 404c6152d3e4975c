"""Each supported combination, as rendered: lint-clean, type-clean, and its own tests pass.

Runs in a shared environment per Python version that holds every dependency any
combination can declare (tests/generated-requirements.txt), on the interpreter the
combination's `python_version` answer names. Every combination runs its quick feature and
wiring tests; the job runtime's own tests (combos.RUNTIME_TESTS) and every slow test run in one
combination per Python version, on both jobs stores (combos.FULL_SUITES), the slow ones split
in parts so that both xdist workers share them.
"""

import pytest
from combos import FULL_SUITES, RUNTIME_TESTS, SUPPORTED, params
from conftest import clean_env, read_answers, run, shared_environment, tool

pytestmark = pytest.mark.slow

# Into how many items each full suite's slow tests are split (round robin over the tests).
SLOW_PARTS = 3


@pytest.fixture(autouse=True)
def _combo_in_the_report(record_property, combo: str) -> None:
    """The run's summary counts combinations by it (conftest.pytest_terminal_summary)."""
    record_property("combo", combo)


@pytest.fixture
def project(rendered, combo: str):
    return rendered(combo, SUPPORTED[combo])


@pytest.fixture
def env(project):
    return shared_environment(read_answers(project)["python_version"])


@pytest.mark.parametrize("combo", params())
def test_ruff_check_passes(project, env) -> None:
    run([tool(env, "ruff"), "check", "--no-cache", "."], project)


@pytest.mark.parametrize("combo", params())
def test_ruff_format_check_passes(project, env) -> None:
    run([tool(env, "ruff"), "format", "--no-cache", "--check", "."], project)


@pytest.mark.parametrize("combo", params())
def test_mypy_strict_passes(project, env, tmp_path_factory) -> None:
    # One cache per worker and Python version: third-party stubs are analysed once, not per
    # combination; mypy still re-checks every project file (by content hash).
    cache = tmp_path_factory.getbasetemp() / f"mypy-cache-{read_answers(project)['python_version']}"
    run([tool(env, "mypy"), "--cache-dir", str(cache)], project, clean_env())


def generated_pytest(env, project, *args: str) -> str:
    result = run(
        [tool(env, "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        project,
        clean_env(),
    )
    assert " passed" in result.stdout
    assert " failed" not in result.stdout
    return result.stdout


@pytest.mark.parametrize("combo", params())
def test_generated_quick_tests_pass(project, env, combo: str) -> None:
    runtime = [] if combo in FULL_SUITES else [f"--ignore=tests/{name}" for name in RUNTIME_TESTS]
    generated_pytest(env, project, "-m", "not slow", *runtime)


@pytest.mark.parametrize("part", range(SLOW_PARTS))
@pytest.mark.parametrize("combo", params({name: SUPPORTED[name] for name in sorted(FULL_SUITES)}))
def test_generated_slow_tests_pass(project, env, part: int) -> None:
    collected = run(
        [tool(env, "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only",
         "-m", "slow"],
        project,
        clean_env(),
    ).stdout  # fmt: skip
    slow_tests = sorted(line for line in collected.splitlines() if "::" in line)
    assert len(slow_tests) >= SLOW_PARTS, collected

    generated_pytest(env, project, *slow_tests[part::SLOW_PARTS])
