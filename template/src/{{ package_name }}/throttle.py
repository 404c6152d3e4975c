"""Wrong secrets, throttled per client address.

Wrong bearer tokens and wrong dashboard sign-ins count against the address they came
from. Past `failures` of them within a minute, that address is refused (429 with
Retry-After) before its secret is even looked at, until the oldest failure is a minute
old. Other addresses are not affected: the owner signs in from elsewhere as usual.
Counted per process, in memory.
"""

import math
import time

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

FAILURES_PER_MINUTE = 10


class FailureThrottle:
    def __init__(self, failures: int = FAILURES_PER_MINUTE) -> None:
        self._limit = RateLimitItemPerMinute(failures)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, purpose: str, address: str) -> int | None:
        """Seconds until `address` may try a secret for `purpose` again; None: it may now."""
        if self._limiter.test(self._limit, purpose, address):
            return None
        stats = self._limiter.get_window_stats(self._limit, purpose, address)
        return max(1, math.ceil(stats.reset_time - time.time()))

    def failed(self, purpose: str, address: str) -> None:
        """Count one wrong secret from `address`."""
        self._limiter.hit(self._limit, purpose, address)
