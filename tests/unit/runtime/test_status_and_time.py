"""Condition transitions, MicroTime formatting and the status writer's no-op rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from keycloak_controller.runtime.clock import FakeClock
from keycloak_controller.runtime.leaderelection import LeaderElectionConfig, format_micro_time
from keycloak_controller.runtime.objects import KubeObject, ResourceKind
from keycloak_controller.runtime.status import (
    Condition,
    StatusWriter,
    find_condition,
    format_time,
    merge_patch,
    set_condition,
)

T0 = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(minutes=5)


def test_new_condition_gets_transition_time() -> None:
    conditions = set_condition([], Condition("Ready", "False", "Progressing"), T0)
    assert conditions[0].last_transition_time == "2026-01-01T12:00:00Z"


def test_transition_time_changes_only_when_status_flips() -> None:
    conditions = set_condition([], Condition("Ready", "False", "Progressing", "a"), T0)
    same_status = set_condition(conditions, Condition("Ready", "False", "Failed", "b", 7), T1)
    ready = find_condition(same_status, "Ready")
    assert ready is not None
    assert ready.last_transition_time == format_time(T0)
    assert (ready.reason, ready.message, ready.observed_generation) == ("Failed", "b", 7)
    flipped = set_condition(same_status, Condition("Ready", "True", "Succeeded"), T1)
    ready = find_condition(flipped, "Ready")
    assert ready is not None and ready.last_transition_time == format_time(T1)


def test_other_conditions_are_untouched() -> None:
    conditions = set_condition([], Condition("Stalled", "True", "Bad"), T0)
    conditions = set_condition(conditions, Condition("Ready", "False", "Bad"), T1)
    assert [c.type for c in conditions] == ["Stalled", "Ready"]
    stalled = find_condition(conditions, "Stalled")
    assert stalled is not None and stalled.last_transition_time == format_time(T0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2026, 1, 1, 0, 0, 0, 0, tzinfo=dt.UTC), "2026-01-01T00:00:00.000000Z"),
        (dt.datetime(2026, 1, 1, 0, 0, 0, 120, tzinfo=dt.UTC), "2026-01-01T00:00:00.000120Z"),
        (
            dt.datetime(2026, 1, 1, 2, 0, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "2026-01-01T00:00:00.000005Z",
        ),
    ],
)
def test_micro_time_has_exactly_six_digits_in_utc(value: dt.datetime, expected: str) -> None:
    assert format_micro_time(value) == expected


def test_micro_time_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        format_micro_time(dt.datetime(2026, 1, 1))


def test_election_config_requires_sane_ordering() -> None:
    LeaderElectionConfig("l", "ns", "me").validate()  # 15 / 10 / 2 defaults
    with pytest.raises(ValueError):
        LeaderElectionConfig("l", "ns", "me", lease_duration=10, renew_deadline=10).validate()
    with pytest.raises(ValueError):
        LeaderElectionConfig("l", "ns", "me", renew_deadline=2, retry_period=2).validate()


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386, as the apiserver applies application/merge-patch+json."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result


class RecordingApi:
    """Records requests and answers a status merge patch as the apiserver would."""

    def __init__(self, current: KubeObject | None = None) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.current = current

    def request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        body: dict[str, Any] = kwargs["body"]
        self.calls.append((method, path, body))
        assert kwargs.get("content_type") == "application/merge-patch+json"
        assert self.current is not None
        assert body["metadata"]["resourceVersion"] == self.current.resource_version
        updated = apply_merge_patch(self.current.raw, {"status": body["status"]})
        updated["metadata"] = {**updated["metadata"], "resourceVersion": "next"}
        self.current = KubeObject(updated)
        return updated


WIDGETS = ResourceKind("test.keycloak-controller.dev", "v1", "widgets", "Widget")


def widget(status: dict[str, Any] | None = None, generation: int = 3) -> KubeObject:
    raw: dict[str, Any] = {
        "apiVersion": "test.keycloak-controller.dev/v1",
        "kind": "Widget",
        "metadata": {
            "name": "w",
            "namespace": "ns",
            "generation": generation,
            "resourceVersion": "42",
        },
    }
    if status is not None:
        raw["status"] = status
    return KubeObject(raw)


def test_status_writer_stamps_generation_and_patches_status_with_rv() -> None:
    obj = widget()
    api = RecordingApi(obj)
    writer = StatusWriter(api, WIDGETS, clock=FakeClock())  # type: ignore[arg-type]
    updated = writer.update(obj, [Condition("Ready", "True", "Succeeded")])
    assert updated is not None
    method, path, body = api.calls[0]
    assert (method, path) == (
        "PATCH",
        "/apis/test.keycloak-controller.dev/v1/namespaces/ns/widgets/w/status",
    )
    # Only the precondition and the status: nothing else of the object is sent.
    assert body["metadata"] == {"resourceVersion": "42"}
    assert set(body) == {"metadata", "status"}
    assert body["status"]["observedGeneration"] == 3
    assert body["status"]["conditions"][0]["observedGeneration"] == 3
    assert updated.raw["status"]["conditions"][0]["reason"] == "Succeeded"


def test_status_writer_deletes_fields_set_to_none_and_then_rests() -> None:
    obj = widget({"clientUuid": "u-1", "secretName": "s"})
    api = RecordingApi(obj)
    writer = StatusWriter(api, WIDGETS, clock=FakeClock())  # type: ignore[arg-type]
    ready = [Condition("Ready", "True", "Succeeded")]
    fields = {"clientUuid": None, "secretName": "s", "serviceAccountUserId": None}
    updated = writer.update(obj, ready, fields)
    assert updated is not None
    sent = api.calls[0][2]["status"]
    assert sent["clientUuid"] is None  # deleted on the server
    assert "serviceAccountUserId" not in sent  # was never there: nothing to delete
    assert "clientUuid" not in updated.raw["status"]
    # The same desired state again is no change, so nothing more is written.
    assert writer.update(updated, ready, fields) is None
    assert len(api.calls) == 1


def test_status_writer_treats_nested_nones_as_absent_too() -> None:
    # The apiserver prunes nulls inside objects as well: a nested None compared as a
    # value would rewrite an in-sync status on every reconcile.
    ready = [Condition("Ready", "True", "Succeeded")]
    api = RecordingApi(widget())
    writer = StatusWriter(api, WIDGETS, clock=FakeClock())  # type: ignore[arg-type]
    rotating = {"credentials": {"lastRotationTime": "t1", "nextRotationTime": "t2"}}
    first = writer.update(widget(), ready, rotating)
    assert first is not None
    settled = {"credentials": {"lastRotationTime": "t1", "nextRotationTime": None}}
    second = writer.update(first, ready, settled)
    assert second is not None  # the nested key is deleted on the server
    assert api.calls[-1][2]["status"]["credentials"] == {"nextRotationTime": None}
    assert second.raw["status"]["credentials"] == {"lastRotationTime": "t1"}
    assert writer.update(second, ready, settled) is None
    assert len(api.calls) == 2


def test_status_writer_skips_unchanged_status() -> None:
    api = RecordingApi(widget())
    clock = FakeClock()
    writer = StatusWriter(api, WIDGETS, clock=clock)  # type: ignore[arg-type]
    first = writer.update(widget(), [Condition("Ready", "True", "Succeeded")])
    assert first is not None
    clock.advance(3600)  # a later time must not count as a change
    again = writer.update(first, [Condition("Ready", "True", "Succeeded")])
    assert again is None
    assert len(api.calls) == 1


def test_merge_patch_sends_only_changes_and_nulls_for_removed_nested_keys() -> None:
    current = {"a": 1, "gone": "x", "nested": {"keep": 1, "drop": 2, "deep": {"x": 1}}, "l": [1]}
    desired = {"a": 1, "new": "y", "nested": {"keep": 1, "deep": {"x": 2}}, "l": [1, 2]}
    patch = merge_patch(current, desired)
    assert patch == {
        "gone": None,
        "new": "y",
        "nested": {"drop": None, "deep": {"x": 2}},
        "l": [1, 2],
    }
    assert apply_merge_patch(current, patch) == desired  # applying it as the apiserver does
    assert merge_patch(desired, desired) == {}
