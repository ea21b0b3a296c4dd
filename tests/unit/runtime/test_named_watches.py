"""NamedWatches: one watch per wanted name, reference-counted, events forwarded."""

from __future__ import annotations

from typing import Any

from keycloak_controller.controllers.secret_watch import SecretRefTracker
from keycloak_controller.runtime.informer import Informer
from keycloak_controller.runtime.objects import SECRETS, KubeObject
from keycloak_controller.runtime.targeted import NamedWatches


class _Child(Informer):
    """A named watch that never talks to an apiserver: the test feeds its cache."""

    def __init__(self, namespace: str, name: str) -> None:
        super().__init__(None, SECRETS, namespaces=[namespace])  # type: ignore[arg-type]
        self.field = f"metadata.name={name}"
        self.started = 0
        self.stopped_with: list[float] = []

    def start(self) -> None:
        self.started += 1

    def stop(self, timeout: float = 10.0) -> None:
        self.stopped_with.append(timeout)

    def feed(self, obj: KubeObject) -> None:
        old = self.indexer.upsert(obj)
        self._dispatch_upsert(old, obj)


class _Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def on_add(self, obj: KubeObject, is_initial_list: bool = False) -> None:
        self.events.append(("add", obj.key))

    def on_update(self, old: KubeObject, new: KubeObject) -> None:
        self.events.append(("update", new.key))

    def on_delete(self, obj: KubeObject) -> None:
        self.events.append(("delete", obj.key))


def _watches() -> tuple[NamedWatches, dict[str, _Child]]:
    made: dict[str, _Child] = {}

    def factory(namespace: str, name: str) -> Informer:
        child = _Child(namespace, name)
        made[f"{namespace}/{name}"] = child
        return child

    return NamedWatches(None, SECRETS, factory=factory), made  # type: ignore[arg-type]


def _secret(ns: str, name: str, rv: str = "1") -> KubeObject:
    raw: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"namespace": ns, "name": name, "resourceVersion": rv},
        "data": {"k": "dg=="},
    }
    return KubeObject(raw)


def test_one_watch_per_name_selected_by_field_and_started_with_the_set() -> None:
    watches, made = _watches()
    watches.acquire("ns/a")
    watches.acquire("ns/a")
    assert list(made) == ["ns/a"]
    assert made["ns/a"].field == "metadata.name=a"
    assert made["ns/a"].scope == ("ns",)
    assert made["ns/a"].started == 0  # not before the manager starts the set
    watches.start()
    assert made["ns/a"].started == 1
    watches.acquire("ns/b")  # after start: started at once
    assert made["ns/b"].started == 1
    assert watches.watch_count == 2


def test_the_last_release_stops_the_watch_and_forgets_the_object() -> None:
    watches, made = _watches()
    watches.start()
    watches.acquire("ns/a")
    watches.acquire("ns/a")
    made["ns/a"].feed(_secret("ns", "a"))
    watches.release("ns/a")
    assert watches.get("ns", "a") is not None
    assert made["ns/a"].stopped_with == []
    watches.release("ns/a")
    assert made["ns/a"].stopped_with == [0]  # never blocks the CR informer's thread
    assert watches.get("ns", "a") is None
    assert not watches.wanted("ns", "a")


def test_events_of_every_named_watch_reach_the_handlers_of_the_set() -> None:
    watches, made = _watches()
    recorder = _Recorder()
    watches.add_event_handler(recorder)
    watches.acquire("ns/a")
    watches.acquire("other/b")
    made["ns/a"].feed(_secret("ns", "a"))
    made["other/b"].feed(_secret("other", "b"))
    made["ns/a"].feed(_secret("ns", "a", rv="2"))
    assert recorder.events == [("add", "ns/a"), ("add", "other/b"), ("update", "ns/a")]
    assert watches.get("other", "b") is not None
    assert watches.get("ns", "b") is None


def test_readiness_is_latched_after_the_first_sync() -> None:
    watches, made = _watches()
    watches.acquire("ns/a")
    watches.start()
    made["ns/a"]._reflectors[0].synced.set()
    assert watches.wait_for_sync(1)
    assert watches.has_synced()
    watches.acquire("ns/new")  # a CR made later must not flip /readyz
    assert not watches.watching("ns", "new")
    assert watches.has_synced()


def _cr(name: str, refs: list[str], rv: str) -> KubeObject:
    raw = {"metadata": {"namespace": "ns", "name": name, "resourceVersion": rv}, "refs": refs}
    return KubeObject(raw)


def test_the_tracker_keeps_the_watches_equal_to_the_references() -> None:
    watches, made = _watches()
    tracker = SecretRefTracker(watches, lambda obj: [f"ns/{r}" for r in obj.get("refs")])
    tracker.on_add(_cr("one", ["a", "b"], "1"))
    tracker.on_add(_cr("two", ["b"], "1"))
    assert watches.keys() == ["ns/a", "ns/b"]
    tracker.on_update(_cr("one", ["a", "b"], "1"), _cr("one", ["c"], "2"))
    assert watches.keys() == ["ns/b", "ns/c"]
    assert made["ns/a"].stopped_with == [0]
    tracker.on_delete(_cr("two", ["b"], "1"))
    assert watches.keys() == ["ns/c"]
    tracker.on_update(_cr("one", ["c"], "2"), _cr("one", ["c"], "3"))  # same refs: no churn
    assert made["ns/c"].stopped_with == []
    tracker.on_delete(_cr("one", ["c"], "3"))
    assert watches.keys() == []
