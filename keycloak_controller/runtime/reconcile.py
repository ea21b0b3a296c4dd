"""The reconcile contract: level-based requests in, a Result or an exception out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, order=True)
class Request:
    """Only namespace and name: a reconcile must read current state, not an event."""

    namespace: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    @classmethod
    def from_key(cls, key: str) -> Request:
        namespace, _, name = key.rpartition("/")
        return cls(namespace, name)

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True)
class Result:
    """`requeue_after > 0` resets backoff and re-runs after the delay.

    `requeue` (deprecated in controller-runtime, kept for parity) is a rate-limited requeue.
    `max_delay > 0` caps that requeue's delay (an object waiting for another one);
    the failure still counts in the item's limiter, which success forgets.
    """

    requeue_after: float = 0.0
    requeue: bool = False
    max_delay: float = 0.0


class TerminalError(Exception):
    """A failure that retrying cannot fix; the controller records it and does not requeue."""


class Reconciler(Protocol):
    def reconcile(self, request: Request) -> Result: ...
