"""task_queue=celery with each broker: the generated broker tests, against the real servers.

Those tests (tests/test_brokers.py in a rendered project) run `serve` and `worker` as real
processes: a report end to end through the broker; the broker cut off (503 within 5 s, then
the next request accepted once it is back); a worker SIGKILLed mid-report (delivered again,
built once, one file). REDIS_URL / RABBITMQ_URL name the brokers (.ci/run provides them);
with REQUIRE_BROKERS=1 a missing one fails instead of skipping.
"""

import os

import pytest
from combos import SUPPORTED
from conftest import clean_env, read_answers, run, shared_environment, tool

# Which supported combination exercises each broker, and where its URL comes from.
BROKERS = {
    "redis": ("everything-on", "REDIS_URL"),
    "rabbitmq": ("celery-rabbitmq", "RABBITMQ_URL"),
}

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("broker", list(BROKERS))]


def test_generated_broker_tests_pass_against_the_real_broker(rendered, broker: str) -> None:
    combo, variable = BROKERS[broker]
    assert SUPPORTED[combo]["task_queue"] == "celery"
    assert SUPPORTED[combo]["broker"] == broker
    url = os.environ.get(variable)
    if not url:
        reason = f"{variable} is not set: no real {broker} to run the broker tests against"
        if os.environ.get("REQUIRE_BROKERS") == "1":
            pytest.fail(f"{reason} (and REQUIRE_BROKERS=1)")
        pytest.skip(reason)
    project = rendered(combo, SUPPORTED[combo])
    env = shared_environment(read_answers(project)["python_version"])

    result = run(
        [tool(env, "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
         "tests/test_brokers.py"],
        project,
        {**clean_env(), variable: url, "REQUIRE_BROKERS": "1"},
    )  # fmt: skip

    assert " passed" in result.stdout, result.stdout
    assert " skipped" not in result.stdout, result.stdout
