"""Event handlers map objects to requests: self, controlling owner, map function."""

from __future__ import annotations

from typing import Any

from keycloak_controller.runtime.handler import (
    EnqueueRequestForObject,
    EnqueueRequestForOwner,
    EnqueueRequestsFromMapFunc,
)
from keycloak_controller.runtime.objects import KubeObject
from keycloak_controller.runtime.reconcile import Request
from keycloak_controller.runtime.store import Indexer
from keycloak_controller.runtime.workqueue import NORMAL_PRIORITY


class Sink:
    def __init__(self) -> None:
        self.added: list[Request] = []
        self.priorities: list[int] = []

    def add(self, key: Request, priority: int = NORMAL_PRIORITY) -> None:
        self.added.append(key)
        self.priorities.append(priority)


def obj(
    name: str, ns: str = "ns", owners: list[dict[str, Any]] | None = None, **spec: Any
) -> KubeObject:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if owners:
        meta["ownerReferences"] = owners
    return KubeObject({"metadata": meta, "spec": spec})


def owner(
    kind: str, name: str, api_version: str = "example.dev/v1", controller: bool = True
) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": name,
        "controller": controller,
    }


def test_enqueue_self() -> None:
    sink = Sink()
    EnqueueRequestForObject(sink).on_delete(obj("a"))
    assert sink.added == [Request("ns", "a")]


def test_owner_matched_on_group_and_kind_only_and_controller_only() -> None:
    sink = Sink()
    handler = EnqueueRequestForOwner(sink, owner_group="example.dev", owner_kind="Realm")
    child = obj(
        "s",
        owners=[
            owner("Realm", "r1", "example.dev/v2"),  # another version of the group: matches
            owner("Realm", "r2", "other.dev/v1"),  # another group: no
            owner("Client", "c1"),  # another kind: no
            owner("Realm", "r3", controller=False),  # not the controller: no
        ],
    )
    handler.on_add(child)
    assert sink.added == [Request("ns", "r1")]


def test_owner_update_enqueues_old_and_new_owners() -> None:
    sink = Sink()
    handler = EnqueueRequestForOwner(sink, owner_group="example.dev", owner_kind="Realm")
    handler.on_update(
        obj("s", owners=[owner("Realm", "old")]), obj("s", owners=[owner("Realm", "new")])
    )
    assert sorted(sink.added) == [Request("ns", "new"), Request("ns", "old")]


def test_owner_without_creates_still_wakes_on_update_and_delete() -> None:
    sink = Sink()
    handler = EnqueueRequestForOwner(
        sink, owner_group="example.dev", owner_kind="Realm", on_create=False
    )
    child = obj("s", owners=[owner("Realm", "r1")])
    handler.on_add(child)
    assert sink.added == []
    handler.on_update(child, child)
    handler.on_delete(child)
    assert sink.added == [Request("ns", "r1"), Request("ns", "r1")]


def test_map_func_through_an_index_for_cross_namespace_references() -> None:
    clients = Indexer()
    clients.add_index("secret", lambda o: [str(o.get("spec", "secretRef"))])
    clients.upsert(obj("c1", ns="team-a", secretRef="shared/creds"))
    clients.upsert(obj("c2", ns="team-b", secretRef="shared/creds"))
    clients.upsert(obj("c3", ns="team-b", secretRef="shared/other"))
    sink = Sink()
    handler = EnqueueRequestsFromMapFunc(
        sink,
        lambda secret: [
            Request(c.namespace, c.name) for c in clients.by_index("secret", secret.key)
        ],
    )
    handler.on_update(obj("creds", ns="shared"), obj("creds", ns="shared"))
    assert sorted(sink.added) == [Request("team-a", "c1"), Request("team-b", "c2")]


def test_index_follows_updates_and_deletes() -> None:
    store = Indexer()
    store.add_index("secret", lambda o: [str(o.get("spec", "secretRef"))])
    store.upsert(obj("c1", secretRef="s1"))
    store.upsert(obj("c1", secretRef="s2"))
    assert store.index_keys("secret", "s1") == []
    assert store.index_keys("secret", "s2") == ["ns/c1"]
    store.delete("ns/c1")
    assert store.index_keys("secret", "s2") == []
    assert store.keys_in_namespace("ns") == []
