"""A plan: the writes one reconcile would make, each named by the field path it fixes.

A kind's `plan` step returns a `Plan` and never writes anything itself; the
skeleton decides what to do with it:
- Manage: run every change in order (`apply`), report the paths of drift it
  corrected in an Event and a metric;
- Observe: run nothing that writes to Keycloak and list the paths in the
  InSync condition.
Paths name fields and keys, never values, so they are safe in status and Events.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .reasons import Problem


class Verb(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class Target(enum.StrEnum):
    """Where a change writes: Observe mode skips Keycloak writes only."""

    KEYCLOAK = "Keycloak"
    KUBERNETES = "Kubernetes"


@dataclass(frozen=True)
class Change:
    path: str
    verb: Verb
    run: Callable[[], Any] = field(compare=False, repr=False)
    target: Target = Target.KEYCLOAK
    # The kind's own Keycloak object is created by this change: what hangs off it
    # (mappers, roles, ids for the status) is planned after observing it again.
    reobserve: bool = False

    def describe(self) -> str:
        return self.path if self.verb is Verb.UPDATE else f"{self.path} ({self.verb})"


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    # A problem met while planning, after the changes planned before it: the skeleton
    # applies those, then reports it (a realm section that cannot be planned must not
    # hold back the sections before it, e.g. the default client scopes new clients copy).
    failure: Problem | None = None

    def __bool__(self) -> bool:
        return bool(self.changes)

    def __iter__(self) -> Iterator[Change]:
        return iter(self.changes)

    def add(self, path: str, verb: Verb, run: Callable[[], Any], **kw: Any) -> None:
        self.changes.append(Change(path, verb, run, **kw))

    def extend(self, changes: Iterable[Change]) -> None:
        self.changes.extend(changes)

    def on(self, target: Target) -> list[Change]:
        return [c for c in self.changes if c.target is target]

    @property
    def reobserve(self) -> bool:
        return any(c.reobserve for c in self.changes)

    def paths(self, target: Target | None = None) -> list[str]:
        chosen = self.changes if target is None else self.on(target)
        return [c.describe() for c in chosen]


def summarize(paths: list[str], limit: int = 10) -> str:
    """`a, b, c and 4 more`: a bounded list for a condition or Event message."""
    shown = ", ".join(paths[:limit])
    rest = len(paths) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown
