"""Per-instance concurrency and request-rate limits.

Keycloak runs every Admin API call in its own transaction and re-reads the
realm; many parallel reconciles can starve it. Both limits block the caller
(bounded by a timeout) rather than failing, since the work must happen anyway.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from keycloak_controller.keycloak.errors import Unavailable


class ConcurrencyLimiter:
    """At most `limit` requests in flight to one Keycloak instance."""

    def __init__(self, limit: int, *, acquire_timeout: float = 60.0) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._semaphore = threading.BoundedSemaphore(limit)
        self._timeout = acquire_timeout
        self._in_flight = 0
        self._lock = threading.Lock()
        self.peak = 0  # highest concurrency seen; lets tests check the bound

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._semaphore.acquire(timeout=self._timeout):
            raise Unavailable(f"no free request slot within {self._timeout}s (limit {self.limit})")
        with self._lock:
            self._in_flight += 1
            self.peak = max(self.peak, self._in_flight)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
            self._semaphore.release()


class RequestRateLimiter:
    """Token bucket over requests to one Keycloak: `rate` a second, bursts up to `burst`.

    Not a work-queue rate limiter (`runtime.ratelimit.RateLimiter`): it paces HTTP
    requests and blocks the caller.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1, int(rate))
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(self.burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Wait until one request may be sent."""
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                # The epsilon absorbs float rounding, which could otherwise
                # leave the bucket at 0.999... with ever smaller waits.
                if self._tokens >= 1 - 1e-9:
                    self._tokens = max(0.0, self._tokens - 1)
                    return
                wait = max((1 - self._tokens) / self.rate, 0.001)
            self._sleep(wait)
