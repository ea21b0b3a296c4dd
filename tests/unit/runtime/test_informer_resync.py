"""Resync re-delivers the cache as update(obj, obj) without talking to the apiserver."""

from __future__ import annotations

import threading

from keycloak_controller.runtime.informer import Informer
from keycloak_controller.runtime.objects import CONFIG_MAPS, KubeObject


class NoApi:
    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"resync must not call the API ({name})")


class Updates:
    def __init__(self) -> None:
        self.pairs: list[tuple[KubeObject, KubeObject]] = []
        self.got = threading.Event()

    def on_add(self, obj: KubeObject) -> None:
        raise AssertionError("resync is not an add")

    def on_update(self, old: KubeObject, new: KubeObject) -> None:
        self.pairs.append((old, new))
        self.got.set()

    def on_delete(self, obj: KubeObject) -> None:
        raise AssertionError("resync is not a delete")


def test_resync_redelivers_cached_objects_as_updates() -> None:
    informer = Informer(NoApi(), CONFIG_MAPS, resync_period=0.01)  # type: ignore[arg-type]
    cached = KubeObject({"metadata": {"name": "a", "namespace": "ns", "resourceVersion": "7"}})
    informer.indexer.upsert(cached)
    handler = Updates()
    informer.add_event_handler(handler)
    loop = threading.Thread(target=informer._resync_loop)
    loop.start()
    assert handler.got.wait(30)
    informer._stop.set()
    loop.join(30)
    old, new = handler.pairs[0]
    assert old is cached and new is cached


def test_cluster_scoped_kinds_cannot_be_limited_to_namespaces() -> None:
    from keycloak_controller.runtime.objects import ResourceKind

    namespaces_kind = ResourceKind("", "v1", "namespaces", "Namespace", namespaced=False)
    try:
        Informer(NoApi(), namespaces_kind, namespaces=["a"])  # type: ignore[arg-type]
    except ValueError:
        return
    raise AssertionError("expected ValueError")
