"""When a failed attempt is worth another try, and how long to wait first."""

import random
from collections.abc import Callable
from dataclasses import dataclass

from ...settings import CoreSettings


def never(_: BaseException) -> bool:
    return False


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, for errors `is_transient` accepts."""

    attempts: int = 1
    base_delay: float = 0.5
    max_delay: float = 30.0
    is_transient: Callable[[BaseException], bool] = never

    def should_retry(self, error: BaseException, attempt: int) -> bool:
        return attempt < self.attempts and self.is_transient(error)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 -- jitter, not cryptography


NO_RETRY = RetryPolicy()


def backoff(settings: CoreSettings, is_transient: Callable[[BaseException], bool]) -> RetryPolicy:
    """The JOB_RETRY_* settings, applied to the errors `is_transient` accepts."""
    return RetryPolicy(
        attempts=settings.job_retry_attempts,
        base_delay=settings.job_retry_base_delay,
        max_delay=settings.job_retry_max_delay,
        is_transient=is_transient,
    )
