"""Deletion while Keycloak is down, and the realm/client lifecycle on every version."""

from __future__ import annotations

from collections.abc import Callable

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.errors import NotFound
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    client_object,
    keycloak_object,
    realm_object,
    running_controllers,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint, KeycloakServer

TIMEOUT = 90.0


def prepare(kube: Kube, ns: str, endpoint: KeycloakEndpoint) -> None:
    kube.secret(
        ns, "admin", {"username": endpoint.admin_username, "password": endpoint.admin_password}
    )
    kube.create("keycloaks", ns, keycloak_object("kc", endpoint, "admin"))


def test_deletion_while_keycloak_is_down(
    crds: ControlPlaneEndpoint,
    private_keycloak: Callable[..., KeycloakServer],
    unique_name: Callable[[str], str],
) -> None:
    server = private_keycloak()
    endpoint = server.endpoint
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ns"))
    prepare(kube, ns, endpoint)
    kube.create("keycloakrealms", ns, realm_object("deleted", "kc", "deleted"))
    kube.create("keycloakrealms", ns, realm_object("kept", "kc", "kept", deletionPolicy="Retain"))
    with running_controllers(crds, [ns], backoff_cap=3.0):
        for name in ("deleted", "kept"):
            wait_until(lambda n=name: kube.is_ready("keycloakrealms", ns, n), TIMEOUT, "Ready")
        server.stop()
        kube.delete("keycloakrealms", ns, "deleted")
        kube.delete("keycloakrealms", ns, "kept")
        # Retain proceeds at once; Delete waits, saying why.
        wait_until(lambda: kube.get("keycloakrealms", ns, "kept") is None, TIMEOUT, "kept gone")
        wait_until(
            lambda: kube.reason("keycloakrealms", ns, "deleted") == "DeletionBlocked",
            TIMEOUT,
            "DeletionBlocked while Keycloak is down",
        )
        assert kube.get("keycloakrealms", ns, "deleted") is not None
        server.start()
        wait_until(
            lambda: kube.get("keycloakrealms", ns, "deleted") is None,
            TIMEOUT,
            "the finalizer to finish once Keycloak is back",
        )
    with KeycloakAdmin.with_password(
        endpoint.base_url, endpoint.admin_username, endpoint.admin_password
    ) as admin:
        names = {r.realm for r in admin.realms.list()}
        assert "kept" in names
        assert "deleted" not in names


def test_realm_and_client_lifecycle_on_every_version(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ns"))
    with (
        KeycloakAdmin.with_password(
            keycloak_any_version.base_url,
            keycloak_any_version.admin_username,
            keycloak_any_version.admin_password,
        ) as admin,
        running_controllers(crds, [ns]),
    ):
        realm_name = ready_realm(
            ns,
            endpoint=keycloak_any_version,
            tokens={"accessTokenLifespan": 600},
            roles=[{"name": "viewer"}],
            timeout=TIMEOUT,
        ).realm_name
        kube.create(
            "keycloakclients",
            ns,
            client_object("spa", "realm", "spa", accessType="Public", pkceMethod="S256"),
        )
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "spa"), TIMEOUT, "client Ready")
        kc = kube.get("keycloaks", ns, "kc") or {}
        assert kc["status"]["serverVersion"] == keycloak_any_version.version
        assert admin.realms.get(realm_name).access_token_lifespan == 600
        spa = admin.clients.find(realm_name, "spa")
        assert spa is not None and spa.public_client
        assert (spa.attributes or {}).get("pkce.code.challenge.method") == "S256"
        secret = kube.secret_data(ns, "spa-credentials") or {}
        assert "client-secret" not in secret and secret["client-id"] == "spa"

        kube.patch(
            "keycloakrealms", ns, "realm", {"spec": {"tokens": {"accessTokenLifespan": 900}}}
        )
        wait_until(
            lambda: admin.realms.get(realm_name).access_token_lifespan == 900,
            TIMEOUT,
            "the change in Keycloak",
        )
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "realm Ready")

        kube.delete("keycloakclients", ns, "spa")
        wait_until(lambda: kube.get("keycloakclients", ns, "spa") is None, TIMEOUT, "client gone")
        assert admin.clients.find(realm_name, "spa") is None
        kube.delete("keycloakrealms", ns, "realm")
        wait_until(lambda: kube.get("keycloakrealms", ns, "realm") is None, TIMEOUT, "realm gone")
        try:
            admin.realms.get(realm_name)
            raise AssertionError("the realm is still in Keycloak")
        except NotFound:
            pass
