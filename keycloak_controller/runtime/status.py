"""Conditions (metav1.Condition semantics) and a status writer.

- `lastTransitionTime` moves only when a condition's status flips (or it is new),
  exactly like apimachinery's `meta.SetStatusCondition`.
- `observedGeneration` is written on every condition and at the top of status,
  because kstatus reads only the top-level one and kubectl wait the per-condition one.
- Writes are merge patches of `/status` carrying the object's resourceVersion,
  so a stale cache loses with 409 (a normal rate-limited retry), and nothing is
  written when nothing changed, so a steady state costs no API calls and no events.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from .clock import REAL_CLOCK, Clock
from .kubeapi import ApiException, KubeApi
from .objects import KubeObject, ResourceKind

ConditionStatus = Literal["True", "False", "Unknown"]


def format_time(value: dt.datetime) -> str:
    """metav1.Time: RFC3339 with second precision, UTC."""
    if value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Condition:
    type: str
    status: ConditionStatus
    reason: str
    message: str = ""
    observed_generation: int = 0
    last_transition_time: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "status": self.status,
            "observedGeneration": self.observed_generation,
            "lastTransitionTime": self.last_transition_time,
            "reason": self.reason,
            "message": self.message,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Condition:
        status = str(raw.get("status", "Unknown"))
        return cls(
            type=str(raw["type"]),
            status=status if status in ("True", "False") else "Unknown",  # type: ignore[arg-type]
            reason=str(raw.get("reason", "")),
            message=str(raw.get("message", "")),
            observed_generation=int(raw.get("observedGeneration") or 0),
            last_transition_time=str(raw.get("lastTransitionTime", "")),
        )


def set_condition(
    conditions: Sequence[Condition], new: Condition, now: dt.datetime
) -> list[Condition]:
    """Return `conditions` with `new` set; the transition time moves only on a status flip."""
    result: list[Condition] = []
    found = False
    for existing in conditions:
        if existing.type != new.type:
            result.append(existing)
            continue
        found = True
        if existing.status != new.status or not existing.last_transition_time:
            stamp = new.last_transition_time or format_time(now)
        else:
            stamp = existing.last_transition_time
        result.append(replace(new, last_transition_time=stamp))
    if not found:
        stamp = new.last_transition_time or format_time(now)
        result.append(replace(new, last_transition_time=stamp))
    return result


def remove_condition(conditions: Sequence[Condition], type_: str) -> list[Condition]:
    return [c for c in conditions if c.type != type_]


def find_condition(conditions: Iterable[Condition], type_: str) -> Condition | None:
    return next((c for c in conditions if c.type == type_), None)


def conditions_of(obj: KubeObject) -> list[Condition]:
    return [Condition.from_json(c) for c in obj.get("status", "conditions") or ()]


def without_nulls(value: Any) -> Any:
    """`value` with every null object member removed, as the apiserver stores it."""
    if isinstance(value, Mapping):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def merge_patch(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON merge patch (RFC 7386) that turns `current` into `desired`.

    Nested objects are diffed key by key, because a merge patch merges them: a key
    that went away must be sent as null or it stays. Lists and scalars are sent whole.
    """
    patch: dict[str, Any] = {k: None for k in current if k not in desired}
    for key, value in desired.items():
        old = current.get(key)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            nested = merge_patch(old, value)
            if nested:
                patch[key] = nested
        elif key not in current or old != value:
            patch[key] = value
    return patch


class StatusWriter:
    def __init__(self, api: KubeApi, kind: ResourceKind, *, clock: Clock = REAL_CLOCK) -> None:
        self.api = api
        self.kind = kind
        self.clock = clock

    def desired_status(
        self,
        obj: KubeObject,
        conditions: Iterable[Condition],
        fields: Mapping[str, Any] | None = None,
        remove: Iterable[str] = (),
    ) -> dict[str, Any]:
        """The object's status with conditions/fields applied and generations stamped."""
        status: dict[str, Any] = copy.deepcopy(dict(obj.get("status") or {}))
        for key, value in (fields or {}).items():
            # None means "absent", at any depth: the apiserver prunes nulls, so keeping
            # a None here would make every later comparison differ and rewrite the
            # status forever (credentials.nextRotationTime did, once per resync).
            if value is None:
                status.pop(key, None)
            else:
                status[key] = without_nulls(value)
        current = conditions_of(obj)
        now = self.clock.now()
        for type_ in remove:
            current = remove_condition(current, type_)
        for condition in conditions:
            current = set_condition(
                current, replace(condition, observed_generation=obj.generation), now
            )
        status["conditions"] = [c.to_json() for c in current]
        status["observedGeneration"] = obj.generation
        return status

    def update(
        self,
        obj: KubeObject,
        conditions: Iterable[Condition],
        fields: Mapping[str, Any] | None = None,
        remove: Iterable[str] = (),
    ) -> KubeObject | None:
        """Write the status if it changed; return the updated object, or None if unchanged
        (or if the object no longer exists).

        Raises ApiException (409 on a stale resourceVersion): let the reconcile fail
        and be retried with backoff against a fresher cache.
        """
        status = self.desired_status(obj, conditions, fields, remove)
        current = obj.get("status") or {}
        if status == current:
            return None
        # A merge patch of status alone: the body is a few hundred bytes instead of
        # the whole object, and it needs nothing the cache may have dropped
        # (managedFields). The resourceVersion makes it conditional, so it fails
        # with 409 on a stale cache exactly like an update would.
        patch = merge_patch(current, status)
        try:
            updated = self.api.request(
                "PATCH",
                self.kind.object_path(obj.namespace, obj.name, "status"),
                body={"metadata": {"resourceVersion": obj.resource_version}, "status": patch},
                content_type="application/merge-patch+json",
            )
        except ApiException as error:
            if error.status == 404:
                # Gone since the cache saw it (its last finalizer removed by someone
                # else, say): nobody is left to read the status, and the watch's delete
                # event ends its reconciles. Not a failure to retry with a traceback.
                return None
            raise
        return KubeObject(updated)
