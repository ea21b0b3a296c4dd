"""An object in sync costs reads only: its resyncs send no Keycloak write and no status write.

A status write that changes nothing is easy to miss (the apiserver accepts it and
the object's resourceVersion does not even move), and it costs one apiserver
request per object per resync. A nested null in the desired status did exactly
that for every confidential client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from keycloak_controller.runtime.kubeapi import KubeApi
from keycloak_controller.runtime.manager import Manager
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    client_object,
    keycloak_requests,
    running_controllers,
    wait_idle,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint

TIMEOUT = 60.0
RESYNC = 1.0


def reconciles(manager: Manager, controller: str) -> float:
    return sum(
        sample.value
        for family in manager.metrics.reconcile_total.collect()
        for sample in family.samples
        if sample.name.endswith("_total") and sample.labels.get("controller") == controller
    )


def ready(kube: Kube, ns: str, name: str) -> Callable[[], bool]:
    return lambda: kube.is_ready("keycloakclients", ns, name)


def test_in_sync_clients_and_their_realm_write_nothing_on_resync(
    crds: ControlPlaneEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("in-sync"))
    status_writes: list[str] = []
    lock = threading.Lock()
    send = KubeApi.request

    def counting(self: KubeApi, method: str, path: str, **kwargs: Any) -> Any:
        if method in ("PATCH", "PUT") and path.endswith("/status") and f"/{ns}/" in path:
            with lock:
                status_writes.append(path)
        return send(self, method, path, **kwargs)

    with running_controllers(crds, [ns], resync_period=RESYNC) as manager:
        ready_realm(ns)
        clients: dict[str, dict[str, Any]] = {
            "confidential": {"accessType": "Confidential"},
            "public": {"accessType": "Public", "redirectUris": ["https://p.example.com/*"]},
            "service": {"accessType": "Confidential", "flows": {"serviceAccounts": True}},
        }
        for name, spec in clients.items():
            kube.create("keycloakclients", ns, client_object(name, "realm", name, **spec))
        for name in clients:
            wait_until(ready(kube, ns, name), TIMEOUT, name)
        wait_idle(manager, TIMEOUT)

        monkeypatch.setattr(KubeApi, "request", counting)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        before = reconciles(manager, "keycloakclient")
        # Several resync periods: each client is reconciled again, in sync.
        time.sleep(6 * RESYNC)
        wait_idle(manager, TIMEOUT)
        assert reconciles(manager, "keycloakclient") - before >= 2 * len(clients)
        assert status_writes == []
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes
        for name in clients:
            assert kube.is_ready("keycloakclients", ns, name)
