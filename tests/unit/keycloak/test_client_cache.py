"""The per-realm client cache: when it reads, what it trusts, and what a write invalidates."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any, cast

from keycloak_controller.controllers.finalizer import FINALIZER
from keycloak_controller.controllers.setup import _EnqueueOnChange
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import ClientRepresentation, ProtocolMapperRepresentation
from keycloak_controller.keycloak.resources.client_cache import ClientCache
from keycloak_controller.runtime.objects import KubeObject
from keycloak_controller.runtime.reconcile import Request


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 0.001  # reads and writes never share a timestamp
        return self.now


class FakeClients:
    def __init__(self, realms: dict[str, list[str]]) -> None:
        self.realms = {r: {c: self.rep(c) for c in ids} for r, ids in realms.items()}
        self.lists: list[str] = []
        self.finds: list[tuple[str, str]] = []
        self.list_gate: threading.Event | None = None

    @staticmethod
    def rep(client_id: str, **fields: Any) -> ClientRepresentation:
        return ClientRepresentation(client_id=client_id, id=f"uuid-{client_id}", **fields)

    def list(self, realm: str) -> list[ClientRepresentation]:
        self.lists.append(realm)
        if self.list_gate is not None:
            self.list_gate.wait(5)
        return list(self.realms[realm].values())

    def find(self, realm: str, client_id: str) -> ClientRepresentation | None:
        self.finds.append((realm, client_id))
        return self.realms[realm].get(client_id)


def fake_admin(clients: FakeClients, instance: str = "ns/kc") -> KeycloakAdmin:
    transport = SimpleNamespace(
        instance=instance, base_url="http://kc", settings=SimpleNamespace(read_timeout=5.0)
    )
    return cast(KeycloakAdmin, SimpleNamespace(transport=transport, clients=clients))


def setup(max_age: float = 30.0) -> tuple[ClientCache, FakeClients, KeycloakAdmin, Clock]:
    clock = Clock()
    clients = FakeClients({"a": [f"c{i}" for i in range(10)], "b": ["x", "y"]})
    cache = ClientCache(max_age, clock=clock, purge_timers=False)
    return cache, clients, fake_admin(clients), clock


def test_a_lone_lookup_reads_one_client_and_a_wave_lists_the_realm_once() -> None:
    cache, clients, admin, _ = setup()
    assert cache.find(admin, "a", "c0") == FakeClients.rep("c0")
    assert clients.finds == [("a", "c0")] and clients.lists == []
    for i in range(1, 10):
        assert cache.find(admin, "a", f"c{i}") == FakeClients.rep(f"c{i}")
    assert clients.lists == ["a"]  # the second client listed the realm; the rest hit
    assert clients.finds == [("a", "c0")]
    assert cache.find(admin, "a", "missing") is None  # absent from a fresh list: absent
    assert clients.finds == [("a", "c0")] and clients.lists == ["a"]


def test_a_cached_representation_comes_back_whole() -> None:
    cache, clients, admin, _ = setup()
    rich = FakeClients.rep(
        "c1",
        secret="s3cr3t",
        attributes={"post.logout.redirect.uris": "https://a##https://b", "empty": ""},
        redirect_uris=["https://a/cb"],
        protocol_mappers=[
            ProtocolMapperRepresentation(
                id="m1", name="team", protocol_mapper="oidc-hardcoded-claim-mapper", config={}
            )
        ],
        default_client_scopes=["profile"],
        public_client=False,
    )
    clients.realms["a"]["c1"] = rich
    cache.find(admin, "a", "c0")
    found = cache.find(admin, "a", "c1")  # from the (packed) realm list
    assert clients.lists == ["a"]
    assert found == rich and found is not rich
    found.redirect_uris.append("changed")  # type: ignore[union-attr]
    assert cache.find(admin, "a", "c1") == rich  # a caller's change is its own


def test_realms_and_instances_are_separate() -> None:
    cache, clients, admin, _ = setup()
    cache.find(admin, "a", "c0")
    cache.find(admin, "b", "x")
    assert clients.finds == [("a", "c0"), ("b", "x")]
    other = fake_admin(clients, instance="ns/other")
    cache.find(other, "a", "c0")
    assert clients.finds[-1] == ("a", "c0") and clients.lists == []


def test_the_same_client_twice_is_not_a_wave() -> None:
    cache, clients, admin, _ = setup()
    cache.find(admin, "a", "c0")
    cache.find(admin, "a", "c0")  # its own single read answers
    assert clients.finds == [("a", "c0")] and clients.lists == []


def test_data_expires_after_max_age() -> None:
    cache, clients, admin, clock = setup(max_age=30)
    cache.find(admin, "a", "c0")
    cache.find(admin, "a", "c1")  # lists
    clock.now += 31
    cache.find(admin, "a", "c2")  # a lone lookup again: the previous one is too old
    assert clients.lists == ["a"] and clients.finds[-1] == ("a", "c2")
    cache.find(admin, "a", "c3")
    assert clients.lists == ["a", "a"]


def test_a_write_invalidates_that_client_only() -> None:
    cache, clients, admin, _ = setup()
    cache.find(admin, "a", "c0")
    cache.find(admin, "a", "c1")  # list
    clients.realms["a"]["c2"] = FakeClients.rep("c2", description="changed by us")
    cache.invalidate(admin, "a", "c2")
    assert cache.find(admin, "a", "c2") == clients.realms["a"]["c2"]  # read again
    assert clients.finds[-1] == ("a", "c2")
    finds = len(clients.finds)
    assert cache.find(admin, "a", "c3") == FakeClients.rep("c3")  # still from the list
    assert cache.find(admin, "a", "c2") == clients.realms["a"]["c2"]  # the fresh single read
    assert len(clients.finds) == finds and clients.lists == ["a"]


def test_a_created_client_is_invalidated_then_stored_from_the_read_after_the_write() -> None:
    cache, clients, admin, _ = setup()
    cache.find(admin, "a", "c0")
    assert cache.find(admin, "a", "new") is None  # listed, absent
    cache.invalidate(admin, "a", "new")
    created = FakeClients.rep("new", secret="s3cr3t")
    clients.realms["a"]["new"] = created
    cache.store(admin, "a", created, cache.now())
    finds = len(clients.finds)
    assert cache.find(admin, "a", "new") == created
    assert len(clients.finds) == finds  # the reconciles the write triggers read nothing


def test_a_read_that_started_before_a_write_is_not_stored() -> None:
    cache, _, admin, _ = setup()
    started = cache.now()
    cache.invalidate(admin, "a", "c0")
    cache.store(admin, "a", FakeClients.rep("c0", description="stale"), started)
    assert cache.find(admin, "a", "c0") == FakeClients.rep("c0")  # read, not the stale one


def test_concurrent_lookups_share_one_list() -> None:
    cache, clients, admin, _ = setup()
    cache.find(admin, "a", "c0")
    clients.list_gate = threading.Event()
    results: dict[str, ClientRepresentation | None] = {}

    def look(client_id: str) -> None:
        results[client_id] = cache.find(admin, "a", client_id)

    threads = [threading.Thread(target=look, args=(f"c{i}",)) for i in range(1, 6)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    clients.list_gate.set()
    for t in threads:
        t.join(5)
    assert clients.lists == ["a"]
    assert results == {f"c{i}": FakeClients.rep(f"c{i}") for i in range(1, 6)}


def test_a_failed_list_lets_the_next_lookup_try_again() -> None:
    cache, clients, admin, _ = setup()
    cache.find(admin, "a", "c0")
    real_list = clients.list

    def failing(realm: str) -> list[ClientRepresentation]:
        raise RuntimeError("keycloak down")

    clients.list = failing  # type: ignore[method-assign]
    try:
        cache.find(admin, "a", "c1")
    except RuntimeError:
        pass
    else:
        raise AssertionError("the error must reach the reconcile")
    clients.list = real_list  # type: ignore[method-assign]
    assert cache.find(admin, "a", "c2") == FakeClients.rep("c2")


def test_expired_data_is_dropped() -> None:
    cache, _, admin, clock = setup(max_age=30)
    cache.find(admin, "a", "c0")
    cache.find(admin, "a", "c1")
    clock.now += 31
    cache.purge()
    assert cache._realms == {}


# --- status-only updates do not requeue the object ---------------------------------------


class Sink:
    def __init__(self) -> None:
        self.added: list[Request] = []

    def add(self, key: Request) -> None:
        self.added.append(key)


def obj(generation: int = 1, status: str = "", **meta: Any) -> KubeObject:
    return KubeObject(
        {
            "apiVersion": "keycloak-controller.dev/v1alpha1",
            "kind": "KeycloakClient",
            "metadata": {
                "name": "app",
                "namespace": "ns",
                "uid": "u1",
                "generation": generation,
                **meta,
            },
            "status": {"message": status},
        }
    )


def test_status_only_updates_are_not_enqueued_but_spec_and_metadata_changes_are() -> None:
    sink = Sink()
    handler = _EnqueueOnChange(sink)
    handler.on_update(obj(status="a"), obj(status="b"))
    assert sink.added == []
    handler.on_update(obj(1), obj(2))
    handler.on_update(obj(), obj(annotations={"x": "y"}))
    handler.on_update(obj(), obj(deletionTimestamp="2026-01-01T00:00:00Z"))
    # Our finalizer removed (by someone else): it must be put back.
    handler.on_update(obj(finalizers=[FINALIZER]), obj(finalizers=[]))
    same = obj()
    handler.on_update(same, same)  # an informer resync re-delivers the same object
    handler.on_add(obj())
    assert len(sink.added) == 6


def test_finalizer_changes_other_than_ours_coming_or_going_are_not_enqueued() -> None:
    sink = Sink()
    handler = _EnqueueOnChange(sink)
    # The reconcile that adds our finalizer carries on with the patched object.
    handler.on_update(obj(), obj(finalizers=[FINALIZER]))
    handler.on_update(obj(finalizers=[FINALIZER]), obj(finalizers=[FINALIZER, "other/x"]))
    assert sink.added == []


def test_a_list_read_while_a_create_is_in_flight_does_not_hide_the_created_client() -> None:
    """Found by the chaos test: a reconcile created a client (201), observed again, was
    told by the cache that the client did not exist and created it again (409). A list
    that another worker started after the create's invalidation, but before Keycloak
    had the client, was trusted because it was newer than the invalidation."""
    cache, clients, admin, clock = setup()
    cache.find(admin, "a", "c0")
    cache.find(admin, "a", "c1")  # a wave: the realm is listed
    view = cache.client(admin, "a", "new")

    def create(realm: str, client: ClientRepresentation) -> str:
        clock.now += 31  # the list has expired; other workers' lookups list again
        cache.find(admin, "a", "c4")
        cache.find(admin, "a", "c5")
        assert clients.lists == ["a", "a"]  # ...while Keycloak has not got "new" yet
        clients.realms[realm]["new"] = FakeClients.rep("new")
        return "uuid-new"

    clients.create = create  # type: ignore[attr-defined]
    assert view.find() is None
    view.create(FakeClients.rep("new"))
    assert view.find() == FakeClients.rep("new")  # read again, not the list
