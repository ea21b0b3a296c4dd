"""Status and Events: Ready always, Reconciling/Stalled only when True, Events on transitions.

One place decides the condition set so that every kind reports the same way:
- Ready=True: Reconciling and Stalled are removed.
- Ready=False with a reason the controller resolves by itself (Progressing,
  DependencyNotReady, KeycloakUnavailable, ...): Reconciling=True.
- Ready=False with a reason that needs a person (reasons.STALLED_REASONS): Stalled=True.
The status is written only when it changed (StatusWriter), and an Event is
recorded only when Ready's status or reason changed, so a steady state is silent.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from keycloak_controller.runtime.events import EventRecorder
from keycloak_controller.runtime.objects import KubeObject
from keycloak_controller.runtime.reconcile import Result
from keycloak_controller.runtime.status import (
    Condition,
    StatusWriter,
    conditions_of,
    find_condition,
)

from . import reasons

READY = "Ready"
RECONCILING = "Reconciling"
STALLED = "Stalled"


@dataclass(frozen=True)
class Outcome:
    """What one reconcile concluded about an object."""

    ready: bool
    reason: str
    message: str

    @classmethod
    def from_problem(cls, problem: reasons.Problem) -> Outcome:
        return cls(False, problem.reason, problem.message)

    @property
    def stalled(self) -> bool:
        return not self.ready and self.reason in reasons.STALLED_REASONS


def conditions_for(outcome: Outcome) -> tuple[list[Condition], list[str]]:
    """The conditions to set and the condition types to remove (pure)."""
    if outcome.ready:
        return [Condition(READY, "True", outcome.reason, outcome.message)], [RECONCILING, STALLED]
    ready = Condition(READY, "False", outcome.reason, outcome.message)
    if outcome.stalled:
        return [ready, Condition(STALLED, "True", outcome.reason, outcome.message)], [RECONCILING]
    return [ready, Condition(RECONCILING, "True", outcome.reason, outcome.message)], [STALLED]


class Reporter:
    def __init__(self, status: StatusWriter, events: EventRecorder) -> None:
        self.status = status
        self.events = events

    def report(
        self,
        obj: KubeObject,
        outcome: Outcome,
        fields: Mapping[str, Any] | None = None,
        extra: list[Condition] | None = None,
    ) -> KubeObject:
        """Write status if it changed; record an Event if Ready transitioned."""
        previous = find_condition(conditions_of(obj), READY)
        conditions, remove = conditions_for(outcome)
        updated = self.status.update(obj, [*conditions, *(extra or [])], fields, remove)
        wanted = "True" if outcome.ready else "False"
        if previous is None or previous.status != wanted or previous.reason != outcome.reason:
            self.events.event(
                obj, "Normal" if outcome.ready else "Warning", outcome.reason, outcome.message
            )
        return updated or obj


class RetryBackoff:
    """Per-object exponential backoff for "not Ready yet" outcomes.

    The runtime's rate limiter grows to 1000 s; an object waiting for Keycloak
    to come back should retry within a minute, so the reconcilers return
    `Result(requeue_after=...)` from here instead (capped, reset on success).
    """

    def __init__(self, base: float = 1.0, cap: float = 60.0) -> None:
        self.base = base
        self.cap = cap
        self._failures: dict[str, int] = {}
        self._lock = threading.Lock()

    def next_delay(self, key: str) -> float:
        with self._lock:
            failures = self._failures.get(key, 0)
            self._failures[key] = failures + 1
        delay = min(self.cap, self.base * (2**failures))
        return float(delay * random.uniform(0.9, 1.1))

    def reset(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


def jittered(period: float, jitter: float = 0.1) -> float:
    """The resync period with +-10% jitter, so objects do not resync in lockstep."""
    return period * random.uniform(1.0 - jitter, 1.0 + jitter)


@dataclass(frozen=True)
class Timing:
    """How often in-sync objects are re-checked, and how failures back off."""

    resync_period: float = 600.0
    backoff_base: float = 1.0
    backoff_cap: float = 60.0


def result_for(outcome: Outcome, key: str, timing: Timing, backoff: RetryBackoff) -> Result:
    if outcome.ready:
        backoff.reset(key)
        return Result(requeue_after=jittered(timing.resync_period))
    return Result(requeue_after=backoff.next_delay(key))
