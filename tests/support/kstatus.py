"""kstatus `Compute` for custom resources, in Python, to check our statuses the way Flux does.

Flux, `kpt` and `kubectl`-based tooling decide whether an applied object has
converged with kstatus (sigs.k8s.io/cli-utils `pkg/kstatus/status`). For a
kind without built-in rules (every custom resource) the first matching rule wins:

1. `metadata.deletionTimestamp` is set -> Terminating.
2. `status.observedGeneration` exists and differs from `metadata.generation`
   -> InProgress (reason LatestGenerationNotObserved). Only the top-level
   field counts; per-condition `observedGeneration` is ignored. A missing
   `status.observedGeneration` skips this rule.
3. Walking `status.conditions` in list order, the first of `Reconciling=True`
   -> InProgress or `Stalled=True` -> Failed. (So if both are True, whichever
   is listed first decides; a controller should never set both.)
4. The first `Ready` condition: True -> Current; False or Unknown -> InProgress
   with its reason and message.
5. Otherwise -> Current: an object with no status at all counts as converged,
   which is why our controller writes `observedGeneration` and `Ready` from the
   first reconcile.

Usage from tests: `compute(obj).status is KStatus.CURRENT`, where `obj` is the
object's JSON as the apiserver returns it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class KStatus(enum.StrEnum):
    IN_PROGRESS = "InProgress"
    FAILED = "Failed"
    CURRENT = "Current"
    TERMINATING = "Terminating"


@dataclass(frozen=True)
class KCondition:
    """A condition kstatus reports with its result (type, status, reason, message)."""

    type: str
    status: str
    reason: str = ""
    message: str = ""


@dataclass(frozen=True)
class Result:
    status: KStatus
    message: str
    conditions: tuple[KCondition, ...] = field(default_factory=tuple)


class KStatusError(ValueError):
    """The object's fields have types kstatus refuses (it errors instead of guessing)."""


def _nested(obj: Mapping[str, Any], *path: str) -> tuple[Any, bool]:
    node: Any = obj
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None, False
        node = node[part]
    return node, node is not None


def _int64(obj: Mapping[str, Any], *path: str) -> tuple[int, bool]:
    value, found = _nested(obj, *path)
    if not found:
        return 0, False
    # JSON decoding in Go gives int64 for integers; anything else is an error there.
    if isinstance(value, bool) or not isinstance(value, int):
        raise KStatusError(f"{'.'.join(path)} is {type(value).__name__}, not an integer")
    return value, True


def _conditions(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    value, found = _nested(obj, "status", "conditions")
    if not found:
        return []
    if not isinstance(value, list) or not all(isinstance(c, Mapping) for c in value):
        raise KStatusError("status.conditions is not a list of objects")
    return value


def _text(condition: Mapping[str, Any], key: str) -> str:
    value = condition.get(key)
    return value if isinstance(value, str) else ""


def _in_progress(reason: str, message: str) -> Result:
    return Result(
        KStatus.IN_PROGRESS, message, (KCondition("Reconciling", "True", reason, message),)
    )


def compute(obj: Mapping[str, Any]) -> Result:
    """kstatus' status of a custom resource (see the module docstring for the rules)."""
    deletion, found = _nested(obj, "metadata", "deletionTimestamp")
    if found and deletion != "":
        return Result(KStatus.TERMINATING, "Resource scheduled for deletion")

    generation, has_generation = _int64(obj, "metadata", "generation")
    if has_generation:
        observed, has_observed = _int64(obj, "status", "observedGeneration")
        if has_observed and observed != generation:
            kind = _text(obj, "kind")
            message = (
                f"{kind} generation is {generation}, but latest observed generation is {observed}"
            )
            return _in_progress("LatestGenerationNotObserved", message)

    conditions = _conditions(obj)
    for condition in conditions:
        type_, status = _text(condition, "type"), _text(condition, "status")
        reason, message = _text(condition, "reason"), _text(condition, "message")
        if type_ == "Reconciling" and status == "True":
            return _in_progress(reason, message)
        if type_ == "Stalled" and status == "True":
            return Result(
                KStatus.FAILED, message, (KCondition("Stalled", "True", reason, message),)
            )

    for condition in conditions:
        if _text(condition, "type") != "Ready":
            continue
        status = _text(condition, "status")
        if status == "True":
            return Result(KStatus.CURRENT, "Resource is Ready")
        if status in ("False", "Unknown"):
            return _in_progress(_text(condition, "reason"), _text(condition, "message"))

    return Result(KStatus.CURRENT, "Resource is current")


def is_current(obj: Mapping[str, Any]) -> bool:
    return compute(obj).status is KStatus.CURRENT


def require(obj: Mapping[str, Any], expected: KStatus) -> Result:
    """Assert kstatus gives `expected` for `obj`; the failure shows the status it read."""
    result = compute(obj)
    if result.status is not expected:
        name = _nested(obj, "metadata", "name")[0]
        raise AssertionError(
            f"kstatus of {_text(obj, 'kind')} {name}: {result.status} ({result.message!r}), "
            f"expected {expected}; generation={_nested(obj, 'metadata', 'generation')[0]} "
            f"status={_nested(obj, 'status')[0]!r}"
        )
    return result
