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
from collections.abc import Iterable
from dataclasses import dataclass

from keycloak_controller.api.base import StatusModel
from keycloak_controller.runtime.events import EventRecorder
from keycloak_controller.runtime.objects import KubeObject
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
# Observe mode only: whether Keycloak matches the spec, and which paths differ.
IN_SYNC = "InSync"
# Set by the skeleton, never by a kind's own status fields.
_SKELETON_FIELDS = {"conditions", "observed_generation"}


@dataclass(frozen=True)
class Outcome:
    """What one reconcile concluded about an object."""

    ready: bool
    reason: str
    message: str
    # Waiting for something else: retried at the short interval (reasons.WAITING_REASONS).
    waiting: bool = False

    @classmethod
    def from_problem(cls, problem: reasons.Problem) -> Outcome:
        return cls(False, problem.reason, problem.message, problem.waiting)

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
        status: StatusModel | None = None,
        extra: list[Condition] | None = None,
        remove: Iterable[str] = (),
    ) -> KubeObject:
        """Write status if it changed; record an Event if Ready transitioned.

        `status` is the kind's typed status; its None fields are removed from the
        object's status. Without it, the fields already there are kept (a failed
        reconcile learned nothing new about them)."""
        previous = find_condition(conditions_of(obj), READY)
        conditions, removed = conditions_for(outcome)
        fields = None
        if status is not None:
            fields = status.model_dump(by_alias=True, mode="json", exclude=_SKELETON_FIELDS)
        updated = self.status.update(
            obj, [*conditions, *(extra or [])], fields, [*removed, *remove]
        )
        wanted = "True" if outcome.ready else "False"
        if previous is None or previous.status != wanted or previous.reason != outcome.reason:
            self.events.event(
                obj, "Normal" if outcome.ready else "Warning", outcome.reason, outcome.message
            )
        return updated or obj


def jittered(period: float, jitter: float = 0.1) -> float:
    """The resync period with +-10% jitter, so objects do not resync in lockstep."""
    return period * random.uniform(1.0 - jitter, 1.0 + jitter)


@dataclass(frozen=True)
class Timing:
    """How often in-sync objects are re-checked, and how failures back off (the
    work queue's per-item exponential limiter, from `backoff_base` to `backoff_cap`).

    An object waiting for something else (`Outcome.waiting`) backs off the same way
    but never longer than `wait_retry_cap`: objects applied together converge within
    that bound of their dependency appearing even where no watch wakes them."""

    resync_period: float = 600.0
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    wait_retry_cap: float = 30.0

    def max_delay(self, outcome: Outcome) -> float:
        """The cap for this failed outcome's retry (0: the limiter's own cap)."""
        return min(self.wait_retry_cap, self.backoff_cap) if outcome.waiting else 0.0
