"""Which failed attempts are retried, and how long to wait between them.

Connection errors, 429 and 5xx are transient. A retried POST may repeat a
write Keycloak already applied, so POSTs are retried only when the request
cannot have been processed: the connection was refused, 429, or a 502/503/504
from in front of or inside Keycloak. A 500 on a POST is raised at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenacity import RetryCallState, wait_exponential_jitter

from keycloak_controller.keycloak.errors import (
    CircuitOpen,
    ConnectFailed,
    KeycloakError,
    RateLimited,
    ServerError,
    Unavailable,
)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_NOT_PROCESSED_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    initial_wait: float = 0.2  # seconds; doubles per attempt
    max_wait: float = 5.0  # cap of one backoff wait
    jitter: float = 0.2  # up to this many seconds added at random
    max_total: float = 30.0  # give up once this much time went by
    max_retry_after: float = 30.0  # never sleep longer than this on a Retry-After

    def should_retry(self, error: BaseException, method: str) -> bool:
        if isinstance(error, CircuitOpen) or not isinstance(error, KeycloakError):
            return False  # an open breaker means "fail fast", not "try again"
        if isinstance(error, RateLimited | ConnectFailed):
            return True
        if method.upper() in IDEMPOTENT_METHODS:
            return isinstance(error, Unavailable | ServerError)
        return isinstance(error, ServerError) and error.status in _NOT_PROCESSED_STATUSES

    def wait_seconds(self, state: RetryCallState) -> float:
        backoff = wait_exponential_jitter(
            multiplier=self.initial_wait, max=self.max_wait, jitter=self.jitter
        )(state)
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            # Honour the server's hint, but never wait less than our backoff.
            return min(self.max_retry_after, max(error.retry_after, backoff))
        return float(backoff)
