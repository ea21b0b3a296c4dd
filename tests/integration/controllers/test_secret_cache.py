"""Secrets cached by need: only owned (by label) and referenced (by name) Secrets.

The controllers run as the deploy/default ServiceAccount (the harness's default),
so everything here also works under the shipped RBAC. Proven:
- an unrelated Secret in the watched namespace (a 50 KB Helm-style release) is in
  no cache, while the referenced admin and password Secrets and the owned
  credentials Secret are;
- a referenced Secret that appears or changes is an event on its named watch,
  and the reader is reconciled at once (a changed password logs in); the test
  prints how long after the write the event arrived and the new password worked;
- a Secret no longer referenced is no longer watched or cached;
- an owned Secret whose label was removed gets it back, so it stays cached.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Callable

from keycloak_controller.controllers.kube import OWNED_SECRET_LABELS, OWNED_SECRET_SELECTOR
from keycloak_controller.runtime.objects import KubeObject
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    client_object,
    controller_run,
    log_in,
    user_object,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint

TIMEOUT = 90.0
EVENT_BOUND = 15.0  # a generous failure bound; the figure itself is printed


class _Arrivals:
    """When each Secret event reached the named watches' handlers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: dict[tuple[str, str], float] = {}  # (key, resourceVersion) -> time

    def _see(self, obj: KubeObject) -> None:
        with self.lock:
            self.seen.setdefault((obj.key, obj.resource_version), time.monotonic())

    def on_add(self, obj: KubeObject, is_initial_list: bool = False) -> None:
        self._see(obj)

    def on_update(self, old: KubeObject, new: KubeObject) -> None:
        self._see(new)

    def on_delete(self, obj: KubeObject) -> None:
        self._see(obj)

    def at(self, key: str, rv: str) -> float | None:
        with self.lock:
            return self.seen.get((key, rv))


def _labels(kube: Kube, ns: str, name: str) -> dict[str, str]:
    return dict(kube.core.read_namespaced_secret(name, ns).metadata.labels or {})


def test_only_owned_and_referenced_secrets_are_cached_and_a_change_reconciles_at_once(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("secret-cache"))
    release = base64.b64encode(os.urandom(50 * 1024)).decode()
    kube.secret(ns, "sh.helm.release.v1.other.v1", {"release": release})
    arrivals = _Arrivals()
    with controller_run(crds, [ns]) as run:
        cache = run.controllers.context.secrets
        cache.referenced.add_event_handler(arrivals)
        assert cache.owned.label_selector == OWNED_SECRET_SELECTOR
        realm = ready_realm(ns, timeout=TIMEOUT).realm_name
        kube.create(
            "keycloakclients",
            ns,
            client_object(
                "login", "realm", "login", accessType="Public", flows={"directAccessGrants": True}
            ),
        )
        kube.create("keycloakclients", ns, client_object("app", "realm", "app"))
        # The user first, its Secret after: the Secret's creation alone must wake it.
        password = {"secretRef": {"name": "alice-password", "key": "password"}, "mode": "Managed"}
        profile = {"email": "alice@example.com", "firstName": "Alice", "lastName": "Example"}
        alice = user_object("alice", "realm", "alice", password=password, **profile)
        kube.create(
            "keycloakusers", ns, {**alice, "spec": {**alice["spec"], "emailVerified": True}}
        )
        wait_until(lambda: cache.referenced.wanted(ns, "alice-password"), TIMEOUT, "a watch")
        wait_until(
            lambda: kube.reason("keycloakusers", ns, "alice") == "SecretNotFound",
            TIMEOUT,
            "the user waiting for its Secret",
        )
        kube.secret(ns, "alice-password", {"password": "first-Secret-1"})
        wait_until(lambda: kube.is_ready("keycloakusers", ns, "alice"), TIMEOUT, "user Ready")
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "app"), TIMEOUT, "client Ready")
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "login"), TIMEOUT, "login Ready")
        assert log_in(keycloak, realm, "alice", "first-Secret-1") is not None

        # What is cached: the two referenced Secrets by name, the owned one by label.
        assert cache.referenced.keys() == [f"{ns}/admin", f"{ns}/alice-password"]
        assert cache.get(ns, "admin") is not None
        assert cache.get(ns, "app-credentials") is not None
        assert _labels(kube, ns, "app-credentials").items() >= OWNED_SECRET_LABELS.items()
        owned = {o.name for o in cache.owned.objects()}
        assert "app-credentials" in owned and owned <= {"app-credentials", "login-credentials"}
        cached = owned | {o.name for o in cache.referenced.objects()}
        assert cached == owned | {"admin", "alice-password"}
        assert cache.get(ns, "sh.helm.release.v1.other.v1") is None
        kube.secret(ns, "sh.helm.release.v1.later.v1", {"release": release})

        # A changed password: an event on the named watch, then the new one logs in.
        encoded = base64.b64encode(b"second-Secret-2").decode()
        written = time.monotonic()
        patched = kube.core.patch_namespaced_secret(
            "alice-password", ns, {"data": {"password": encoded}}
        )
        rv = patched.metadata.resource_version
        key = f"{ns}/alice-password"
        wait_until(lambda: arrivals.at(key, rv) is not None, EVENT_BOUND, "the Secret's event")
        wait_until(
            lambda: log_in(keycloak, realm, "alice", "second-Secret-2") is not None,
            TIMEOUT,
            "the new password",
        )
        working = time.monotonic()
        event_at = arrivals.at(key, rv)
        assert event_at is not None
        print(
            f"\nreferenced Secret changed: event after {event_at - written:.3f}s, "
            f"new password logs in after {working - written:.3f}s"
        )
        assert log_in(keycloak, realm, "alice", "first-Secret-1") is None
        # The unrelated Secret made while running was never cached either.
        assert {o.name for o in cache.owned.objects()} == owned
        assert cache.get(ns, "sh.helm.release.v1.later.v1") is None

        # An owned Secret stripped of its label gets it back (else it would leave the cache).
        kube.core.patch_namespaced_secret(
            "app-credentials",
            ns,
            {"metadata": {"labels": {k: None for k in OWNED_SECRET_LABELS}}},
        )
        wait_until(
            lambda: _labels(kube, ns, "app-credentials").items() >= OWNED_SECRET_LABELS.items(),
            TIMEOUT,
            "the label put back",
        )
        wait_until(lambda: cache.get(ns, "app-credentials") is not None, TIMEOUT, "re-cached")

        # No longer referenced: no longer watched, nor cached.
        kube.delete("keycloakusers", ns, "alice")
        wait_until(lambda: kube.get("keycloakusers", ns, "alice") is None, TIMEOUT, "user gone")
        wait_until(
            lambda: not cache.referenced.wanted(ns, "alice-password"), TIMEOUT, "watch released"
        )
        assert cache.referenced.keys() == [f"{ns}/admin"]
