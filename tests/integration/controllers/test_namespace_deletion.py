"""Deleting a namespace never wedges a finalizer, and still cleans Keycloak up.

This control plane runs no kube-controller-manager, so nothing empties a
Terminating namespace: the test does what the namespace controller would, in an
order it may choose. The Secrets go first (the admin credentials and the
client's credentials), then the Keycloak CR before the realm that uses it, then
the client and the realm. Every finalizer must still finish, and the realm and
client must be gone from Keycloak.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from kubernetes import client as k8s

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.errors import NotFound
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    client_object,
    running_controllers,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint

TIMEOUT = 120.0


def realm_exists(admin: KeycloakAdmin, name: str) -> bool:
    try:
        admin.realms.get(name)
    except NotFound:
        return False
    return True


def test_deleting_the_namespace_never_wedges_and_cleans_keycloak(
    crds: ControlPlaneEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ns"))
    with running_controllers(crds, [ns], backoff_cap=3.0):
        realm_name = ready_realm(ns).realm_name
        kube.create(
            "keycloakclients",
            ns,
            client_object(
                "app",
                "realm",
                "app",
                accessType="Confidential",
                deletionPolicy="Delete",
                redirectUris=["https://app.example.com/cb"],
            ),
        )
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "app"), TIMEOUT, "client Ready")
        assert kube.secret_data(ns, "app-credentials") is not None
        assert direct_admin.clients.find(realm_name, "app") is not None

        kube.core.delete_namespace(ns)
        namespace = kube.core.read_namespace(ns)
        assert namespace.metadata.deletion_timestamp is not None
        # Nothing can be created in a Terminating namespace any more.
        with pytest.raises(k8s.ApiException) as refused:
            kube.secret(ns, "late", {"k": "v"})
        assert refused.value.status == 403

        # The namespace controller may delete the Secrets before the custom resources.
        kube.core.delete_namespaced_secret("admin", ns)
        kube.core.delete_namespaced_secret("app-credentials", ns)
        wait_until(
            lambda: (
                kube.secret_data(ns, "admin") is None
                and kube.secret_data(ns, "app-credentials") is None
            ),
            TIMEOUT,
            "the Secrets gone",
        )

        # ...and the Keycloak CR before the realm that still needs it to clean up.
        kube.delete("keycloaks", ns, "kc")
        wait_until(
            lambda: (
                kube.get("keycloaks", ns, "kc") is None
                or kube.reason("keycloaks", ns, "kc") == "DeletionBlocked"
            ),
            TIMEOUT,
            "the Keycloak finalizer to act",
        )
        kube.delete("keycloakclients", ns, "app")
        wait_until(lambda: kube.get("keycloakclients", ns, "app") is None, TIMEOUT, "client gone")
        # The realm CR has not been deleted yet, so the realm is still there:
        # the client was deleted by itself, through the cached connection.
        assert realm_exists(direct_admin, realm_name)
        assert direct_admin.clients.find(realm_name, "app") is None

        kube.delete("keycloakrealms", ns, "realm")
        wait_until(lambda: kube.get("keycloakrealms", ns, "realm") is None, TIMEOUT, "realm gone")
        wait_until(lambda: kube.get("keycloaks", ns, "kc") is None, TIMEOUT, "Keycloak CR gone")
        assert not realm_exists(direct_admin, realm_name)
