"""kstatus `Compute` on our objects, by Flux's real library, to check statuses the way Flux does.

Flux, `kpt` and `kubectl`-based tooling decide whether an applied object has
converged with kstatus (`sigs.k8s.io/cli-utils` `pkg/kstatus/status`). The
verdicts here come from that library itself (the pinned CLI_UTILS_VERSION in
hack/versions.env), through the helper in tests/support/gitops_readers.py;
this module only gives them Python types. What it decides for a custom
resource, in short: being deleted is Terminating; a top-level
`status.observedGeneration` behind `metadata.generation` is InProgress;
`Reconciling=True` is InProgress and `Stalled=True` Failed (first in list
order); `Ready` False/Unknown is InProgress; anything else, even no status at
all, is Current, which is why our controller writes `observedGeneration` and
`Ready` from the first reconcile.

Usage from tests: `compute(obj).status is KStatus.CURRENT`, where `obj` is the
object's JSON as the apiserver returns it; `compute_many(objs)` judges a batch
in one helper call.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from tests.support import gitops_readers


class KStatus(enum.StrEnum):
    IN_PROGRESS = "InProgress"
    FAILED = "Failed"
    CURRENT = "Current"
    TERMINATING = "Terminating"
    NOT_FOUND = "NotFound"
    UNKNOWN = "Unknown"


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
    """kstatus refused the object's fields: it errors instead of guessing (e.g. a float)."""


def _result(verdict: gitops_readers.Verdict) -> Result:
    if verdict.kstatus is None:
        raise KStatusError(verdict.kstatus_error or "kstatus gave no verdict")
    conditions = tuple(
        KCondition(c["type"], c["status"], c["reason"], c["message"])
        for c in verdict.kstatus.conditions
    )
    return Result(KStatus(verdict.kstatus.status), verdict.kstatus.message, conditions)


@lru_cache(maxsize=256)
def _compute_json(obj_json: str) -> gitops_readers.Verdict:
    return gitops_readers.read([json.loads(obj_json)], health_lua=None)[0]


def compute(obj: Mapping[str, Any]) -> Result:
    """kstatus' status of one object (a KStatusError where kstatus returns an error)."""
    return _result(_compute_json(json.dumps(obj, sort_keys=True)))


def compute_many(objs: Sequence[Mapping[str, Any]]) -> list[Result | KStatusError]:
    """kstatus' status of each object, in one helper call; a refused object gives its error."""
    out: list[Result | KStatusError] = []
    for verdict in gitops_readers.read(objs, health_lua=None):
        try:
            out.append(_result(verdict))
        except KStatusError as refused:
            out.append(refused)
    return out


def is_current(obj: Mapping[str, Any]) -> bool:
    return compute(obj).status is KStatus.CURRENT


def _field(obj: Mapping[str, Any], *path: str) -> Any:
    node: Any = obj
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def require(obj: Mapping[str, Any], expected: KStatus) -> Result:
    """Assert kstatus gives `expected` for `obj`; the failure shows the status it read."""
    result = compute(obj)
    if result.status is not expected:
        raise AssertionError(
            f"kstatus of {_field(obj, 'kind')} {_field(obj, 'metadata', 'name')}: "
            f"{result.status} ({result.message!r}), expected {expected}; "
            f"generation={_field(obj, 'metadata', 'generation')} status={_field(obj, 'status')!r}"
        )
    return result
