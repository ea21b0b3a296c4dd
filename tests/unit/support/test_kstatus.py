"""kstatus Compute on recorded custom-resource statuses, one case per rule and the edges."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.kstatus import (
    KCondition,
    KStatus,
    KStatusError,
    compute,
    is_current,
    require,
)

T = "2026-11-21T10:00:00Z"


def realm(generation: int = 2, status: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "keycloak-controller.dev/v1alpha1",
        "kind": "KeycloakRealm",
        "metadata": {"name": "demo", "namespace": "team-a", "generation": generation, **meta},
        "spec": {"keycloakRef": {"name": "local"}, "realmName": "demo"},
    }
    if status is not None:
        obj["status"] = status
    return obj


def cond(type_: str, status: str, reason: str, message: str = "", gen: int = 2) -> dict[str, Any]:
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "observedGeneration": gen,
        "lastTransitionTime": T,
    }


READY = cond("Ready", "True", "Succeeded", "Realm demo is in sync with Keycloak 26.7.3")


def test_ready_at_the_current_generation_is_current() -> None:
    result = compute(realm(status={"observedGeneration": 2, "conditions": [READY]}))
    assert result.status is KStatus.CURRENT
    assert result.message == "Resource is Ready"
    assert result.conditions == ()


def test_deletion_wins_over_everything() -> None:
    obj = realm(
        status={"observedGeneration": 1, "conditions": [cond("Stalled", "True", "Failed")]},
        deletionTimestamp=T,
        finalizers=["keycloak-controller.dev/finalizer"],
    )
    result = compute(obj)
    assert (result.status, result.message) == (
        KStatus.TERMINATING,
        "Resource scheduled for deletion",
    )


def test_generation_not_observed_is_in_progress_even_when_ready() -> None:
    result = compute(realm(generation=3, status={"observedGeneration": 2, "conditions": [READY]}))
    assert result.status is KStatus.IN_PROGRESS
    assert result.message == "KeycloakRealm generation is 3, but latest observed generation is 2"
    assert result.conditions == (
        KCondition("Reconciling", "True", "LatestGenerationNotObserved", result.message),
    )


def test_only_the_top_level_observed_generation_counts() -> None:
    # Ready's own observedGeneration is stale, the top-level one is current: kstatus
    # looks only at the top level (kubectl wait would still wait here).
    stale_ready = {**READY, "observedGeneration": 1}
    assert is_current(realm(status={"observedGeneration": 2, "conditions": [stale_ready]}))


def test_no_observed_generation_skips_the_generation_rule() -> None:
    assert is_current(realm(generation=7, status={"conditions": [READY]}))


def test_reconciling_true_is_in_progress() -> None:
    status = {
        "observedGeneration": 2,
        "conditions": [
            cond("Ready", "Unknown", "Progressing", "Creating realm demo"),
            cond("Reconciling", "True", "Progressing", "Creating realm demo"),
        ],
    }
    result = compute(realm(status=status))
    assert (result.status, result.message) == (KStatus.IN_PROGRESS, "Creating realm demo")
    assert result.conditions[0].reason == "Progressing"


def test_stalled_true_is_failed_with_its_message() -> None:
    status = {
        "observedGeneration": 2,
        "conditions": [
            cond("Ready", "False", "OwnershipConflict", "realm demo is owned by team-b/demo"),
            cond("Stalled", "True", "OwnershipConflict", "realm demo is owned by team-b/demo"),
        ],
    }
    result = compute(realm(status=status))
    assert result.status is KStatus.FAILED
    assert result.message == "realm demo is owned by team-b/demo"
    assert result.conditions == (
        KCondition("Stalled", "True", "OwnershipConflict", "realm demo is owned by team-b/demo"),
    )


@pytest.mark.parametrize(
    ("first", "expected"), [("Reconciling", KStatus.IN_PROGRESS), ("Stalled", KStatus.FAILED)]
)
def test_reconciling_and_stalled_are_read_in_list_order(first: str, expected: KStatus) -> None:
    other = "Stalled" if first == "Reconciling" else "Reconciling"
    status = {
        "observedGeneration": 2,
        "conditions": [cond(first, "True", "A"), cond(other, "True", "B")],
    }
    assert compute(realm(status=status)).status is expected


def test_abnormal_conditions_that_are_false_are_ignored() -> None:
    status = {
        "observedGeneration": 2,
        "conditions": [
            cond("Stalled", "False", "Fine"),
            cond("Reconciling", "False", "Idle"),
            READY,
        ],
    }
    assert is_current(realm(status=status))


@pytest.mark.parametrize("value", ["False", "Unknown"])
def test_ready_false_or_unknown_is_in_progress(value: str) -> None:
    message = "waiting for KeycloakRealm team-a/demo to be Ready"
    status = {
        "observedGeneration": 2,
        "conditions": [cond("Ready", value, "DependencyNotReady", message)],
    }
    result = compute(realm(status=status))
    assert (result.status, result.message) == (KStatus.IN_PROGRESS, message)
    assert result.conditions == (KCondition("Reconciling", "True", "DependencyNotReady", message),)


@pytest.mark.parametrize(
    "status",
    [
        None,
        {},
        {"observedGeneration": 2},
        {"observedGeneration": 2, "conditions": []},
        {"observedGeneration": 2, "conditions": [cond("Ready", "Maybe", "Odd")]},
        {"conditions": [cond("KeycloakVersionWarning", "True", "FieldNotSupported")]},
    ],
)
def test_nothing_known_counts_as_current(status: dict[str, Any] | None) -> None:
    # kstatus' default: a custom resource that says nothing is taken as converged.
    result = compute(realm(status=status))
    assert (result.status, result.message) == (KStatus.CURRENT, "Resource is current")


def test_no_generation_skips_the_generation_rule() -> None:
    obj = realm(status={"observedGeneration": 5, "conditions": [READY]})
    del obj["metadata"]["generation"]
    assert is_current(obj)


@pytest.mark.parametrize(
    "obj",
    [
        realm(status={"observedGeneration": "2"}),
        realm(status={"observedGeneration": 2.0}),
        realm(status={"conditions": {"Ready": "True"}}),
    ],
)
def test_malformed_fields_are_errors_as_in_kstatus(obj: dict[str, Any]) -> None:
    with pytest.raises(KStatusError):
        compute(obj)


def test_require_passes_through_and_explains_a_mismatch() -> None:
    ready = realm(status={"observedGeneration": 2, "conditions": [READY]})
    assert require(ready, KStatus.CURRENT).status is KStatus.CURRENT
    with pytest.raises(AssertionError, match=r"KeycloakRealm demo: Current .* expected Failed"):
        require(ready, KStatus.FAILED)
