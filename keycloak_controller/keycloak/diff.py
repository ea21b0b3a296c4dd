"""Semantic diff of a desired representation against what Keycloak has.

Desired state names only what it cares about, so the comparison is one-sided:
- fields the desired model leaves unset are the server's business (defaults),
- server-assigned fields (ids, timestamps) are never compared,
- maps (attributes, config) compare only the keys the desired state sets,
- lists Keycloak treats as sets compare without order; lists of named
  representations are matched by their name, alias or clientId.
The result is the minimal update: only the top-level fields that differ, and
none at all when the two already match, so a second apply writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

SERVER_ASSIGNED = frozenset(
    {"id", "containerId", "createdTimestamp", "internalId", "flowId", "createdDate", "access"}
)
# JSON field names whose lists Keycloak treats as unordered sets.
UNORDERED_LISTS = frozenset(
    {
        "redirectUris",
        "webOrigins",
        "defaultClientScopes",
        "optionalClientScopes",
        "defaultRoles",
        "defaultGroups",
        "realmRoles",
        "groups",
        "requiredActions",
        "eventsListeners",
        "enabledEventTypes",
        "supportedLocales",
        "domains",
        "types",
    }
)
_IDENTITY_KEYS = ("alias", "clientId", "name", "username")


@dataclass
class Update(Generic[M]):
    """The fields to change (JSON names and desired values); empty when in sync."""

    changes: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def apply_to(self, actual: M) -> M:
        """`actual` with the changes applied: the body to PUT.

        Maps are merged, so keys the server added (defaults) are kept.
        """
        merged = actual.model_dump(by_alias=True, exclude_none=True, mode="json")
        for key, value in self.changes.items():
            current = merged.get(key)
            if isinstance(value, dict) and isinstance(current, dict):
                merged[key] = {**current, **value}
            else:
                merged[key] = value
        return type(actual).model_validate(merged)


def diff(desired: M, actual: M) -> Update[M]:
    want = desired.model_dump(by_alias=True, exclude_none=True, mode="json")
    have = actual.model_dump(by_alias=True, exclude_none=True, mode="json")
    changes = {
        key: value
        for key, value in want.items()
        if key not in SERVER_ASSIGNED and not matches(value, have.get(key), key)
    }
    return Update(changes)


def matches(desired: Any, actual: Any, key: str = "") -> bool:
    """Whether `actual` satisfies `desired` in the one-sided sense above."""
    if isinstance(desired, dict):
        if not isinstance(actual, dict):
            return not desired and actual is None
        return all(
            k in SERVER_ASSIGNED or v is None or matches(v, actual.get(k), k)
            for k, v in desired.items()
        )
    if isinstance(desired, list):
        if actual is None:
            return not desired
        if not isinstance(actual, list) or len(desired) != len(actual):
            return False
        return _lists_match(desired, actual, key)
    return bool(desired == actual)


def _lists_match(desired: list[Any], actual: list[Any], key: str) -> bool:
    identity = _identity_key(desired)
    if identity is not None:
        by_id = {item.get(identity): item for item in actual if isinstance(item, dict)}
        return all(matches(item, by_id.get(item[identity]), key) for item in desired)
    if key in UNORDERED_LISTS and all(not isinstance(v, dict | list) for v in desired):
        return sorted(map(repr, desired)) == sorted(map(repr, actual))
    return all(matches(d, a, key) for d, a in zip(desired, actual, strict=True))


def _identity_key(items: list[Any]) -> str | None:
    """The field naming each item, if every item is a dict that has it."""
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for candidate in _IDENTITY_KEYS:
        if all(i.get(candidate) is not None for i in items):
            return candidate
    return None
