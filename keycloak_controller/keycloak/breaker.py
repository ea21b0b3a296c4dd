"""A per-instance circuit breaker.

When Keycloak is down, every reconcile would otherwise wait for its own
connect timeout and retries. After `failure_threshold` consecutive failures
the breaker opens and calls fail at once with CircuitOpen. After
`reset_timeout` it lets exactly one probe through (half-open); the probe's
outcome closes or re-opens it.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable

from keycloak_controller.keycloak.errors import CircuitOpen
from keycloak_controller.keycloak.metrics import BREAKER_STATE


class BreakerState(enum.Enum):
    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class CircuitBreaker:
    def __init__(
        self,
        instance: str,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.instance = instance
        self._threshold = failure_threshold
        self._reset_timeout = reset_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_in_flight = False
        self._publish()

    @property
    def state(self) -> BreakerState:
        """The state as seen now (an expired OPEN reads as HALF_OPEN)."""
        with self._lock:
            if self._state is BreakerState.OPEN and self._expired():
                return BreakerState.HALF_OPEN
            return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def before_call(self) -> None:
        """Raise CircuitOpen unless this call may go to Keycloak."""
        with self._lock:
            if self._state is BreakerState.CLOSED:
                return
            if self._state is BreakerState.OPEN and self._expired():
                self._state = BreakerState.HALF_OPEN
                self._probe_in_flight = False
                self._publish()
            if self._state is BreakerState.HALF_OPEN and not self._probe_in_flight:
                self._probe_in_flight = True  # this caller is the probe
                return
            # The message ends up in status conditions: nothing in it may change from
            # one call to the next (a countdown, a failure count), or every retry while
            # Keycloak is down rewrites the status of every object that depends on it.
            raise CircuitOpen(
                f"circuit breaker for Keycloak {self.instance} is open after repeated "
                f"failures; it probes Keycloak again every {self._reset_timeout:g}s"
            )

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._probe_in_flight = False
            if self._state is not BreakerState.CLOSED:
                self._state = BreakerState.CLOSED
                self._publish()

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._probe_in_flight = False
            if self._state is BreakerState.HALF_OPEN or self._failures >= self._threshold:
                self._state = BreakerState.OPEN
                self._opened_at = self._clock()
                self._publish()

    def release_probe(self) -> None:
        """A call ended without saying whether Keycloak is healthy: if it was the
        probe, the next call is."""
        with self._lock:
            self._probe_in_flight = False

    def _expired(self) -> bool:
        return self._clock() - self._opened_at >= self._reset_timeout

    def _publish(self) -> None:
        BREAKER_STATE.labels(instance=self.instance).set(self._state.value)
