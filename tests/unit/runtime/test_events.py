"""The Event recorder: off the caller's thread, in order, bounded, and forgetful of the quiet."""

from __future__ import annotations

import threading
from typing import Any

from keycloak_controller.runtime.clock import FakeClock
from keycloak_controller.runtime.events import EventRecorder
from keycloak_controller.runtime.kubeapi import ApiException
from keycloak_controller.runtime.objects import KubeObject


class SlowApi:
    """Records calls; blocks each one until `gate` is set; can fail on demand."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any], str]] = []
        self.gate = threading.Event()
        self.fail_next = False

    def request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        assert self.gate.wait(10)
        self.calls.append((method, path, kwargs["body"], kwargs["content_type"]))
        if self.fail_next:
            self.fail_next = False
            raise ApiException(status=500, reason="boom")
        return {}


def obj(name: str = "app", uid: str = "u-1") -> KubeObject:
    return KubeObject(
        {
            "apiVersion": "example.dev/v1",
            "kind": "Thing",
            "metadata": {"name": name, "namespace": "ns", "uid": uid, "resourceVersion": "3"},
        }
    )


def test_event_returns_before_the_api_answers_and_repeats_patch_the_same_event() -> None:
    api = SlowApi()
    recorder = EventRecorder(api, "test", clock=FakeClock())  # type: ignore[arg-type]
    recorder.event(obj(), "Warning", "Failed", "down")  # the API is blocked: must not wait
    recorder.event(obj(), "Warning", "Failed", "down")
    assert api.calls == []
    api.gate.set()
    assert recorder.flush(10)
    (post, patch) = api.calls
    assert post[0] == "POST" and post[1] == "/api/v1/namespaces/ns/events"
    assert post[2]["involvedObject"]["uid"] == "u-1" and post[2]["count"] == 1
    assert patch[0] == "PATCH" and patch[3] == "application/merge-patch+json"
    assert patch[1].endswith("/events/" + post[2]["metadata"]["name"])
    assert patch[2]["count"] == 2
    recorder.close()


def test_a_full_backlog_drops_instead_of_blocking() -> None:
    api = SlowApi()
    recorder = EventRecorder(api, "test", max_pending=2, clock=FakeClock())  # type: ignore[arg-type]
    for i in range(6):  # distinct objects: the spam filter lets all through
        recorder.event(obj(f"o{i}", f"u{i}"), "Normal", "Ready", "ok")
    # One may already be in the sender's hands; at most max_pending wait behind it.
    assert recorder.dropped >= 3
    api.gate.set()
    assert recorder.flush(10)
    assert len(api.calls) == 6 - recorder.dropped
    recorder.close()


def test_a_failed_post_is_forgotten_so_the_next_repeat_creates_again() -> None:
    api = SlowApi()
    api.gate.set()
    api.fail_next = True
    recorder = EventRecorder(api, "test", clock=FakeClock())  # type: ignore[arg-type]
    recorder.event(obj(), "Warning", "Failed", "down")
    assert recorder.flush(10)
    recorder.event(obj(), "Warning", "Failed", "down")
    assert recorder.flush(10)
    assert [c[0] for c in api.calls] == ["POST", "POST"]
    assert recorder.failed == 1
    recorder.close()


def test_bookkeeping_of_quiet_objects_is_pruned() -> None:
    api = SlowApi()
    api.gate.set()
    clock = FakeClock()
    recorder = EventRecorder(api, "test", clock=clock)  # type: ignore[arg-type]
    for i in range(50):
        recorder.event(obj(f"o{i}", f"u{i}"), "Normal", "Ready", "ok")
    assert len(recorder._seen) == 50 and len(recorder._buckets) == 50
    clock.advance(recorder.burst * recorder.refill_seconds + 1)  # past window and refill
    recorder.event(obj("late", "u-late"), "Normal", "Ready", "ok")
    assert set(recorder._buckets) == {"u-late"}
    assert len(recorder._seen) == 1
    assert recorder.flush(10)
    recorder.close()
