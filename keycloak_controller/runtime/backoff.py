"""client-go's reflector backoff: 0.8 s doubling to 30 s, jitter 1.0, reset after 2 min quiet."""

from __future__ import annotations

import random

from .clock import REAL_CLOCK, Clock


class Backoff:
    def __init__(
        self,
        initial: float = 0.8,
        cap: float = 30.0,
        factor: float = 2.0,
        jitter: float = 1.0,
        reset_after: float = 120.0,
        *,
        clock: Clock = REAL_CLOCK,
        rand: random.Random | None = None,
    ) -> None:
        self.initial = initial
        self.cap = cap
        self.factor = factor
        self.jitter = jitter
        self.reset_after = reset_after
        self._clock = clock
        self._rand = rand or random.Random()
        self._current = initial
        self._last_failure: float | None = None

    def next_delay(self) -> float:
        """Record a failure and return how long to wait before retrying."""
        now = self._clock.monotonic()
        if self._last_failure is not None and now - self._last_failure > self.reset_after:
            self._current = self.initial
        self._last_failure = now
        base = self._current
        self._current = min(self._current * self.factor, self.cap)
        return min(base * (1.0 + self.jitter * self._rand.random()), self.cap)
