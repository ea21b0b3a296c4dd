"""Drift, restart without writes, ownership, tenancy and the credentials Secret."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import ClientRepresentation, RealmRepresentation
from tests.support.config import kube_binaries
from tests.support.controller_harness import (
    Kube,
    client_object,
    keycloak_object,
    keycloak_requests,
    realm_object,
    running_controllers,
    wait_idle,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint

TIMEOUT = 60.0


def setup_keycloak(kube: Kube, ns: str, keycloak: KeycloakEndpoint, **spec: object) -> None:
    kube.secret(
        ns, "admin", {"username": keycloak.admin_username, "password": keycloak.admin_password}
    )
    kube.create("keycloaks", ns, keycloak_object("kc", keycloak, "admin", **spec))


def test_drift_is_reverted_and_a_restart_writes_nothing(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ns"))
    realm_name = unique_name("realm")
    setup_keycloak(kube, ns, keycloak)
    kube.create(
        "keycloakrealms",
        ns,
        realm_object("realm", "kc", realm_name, displayName="Managed", roles=[{"name": "r1"}]),
    )
    kube.create(
        "keycloakclients",
        ns,
        client_object("app", "realm", "app", redirectUris=["https://app.example.com/cb"]),
    )
    with running_controllers(crds, [ns], resync_period=2.0):
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "app"), TIMEOUT, "client Ready")
        # Hand-made drift in Keycloak is reverted by the periodic resync.
        direct_admin.realms.update(
            realm_name, RealmRepresentation(realm=realm_name, display_name="Edited by hand")
        )
        client = direct_admin.clients.find(realm_name, "app")
        assert client is not None and client.id
        edited = client.model_copy(update={"redirect_uris": ["https://evil.example.com/"]})
        direct_admin.clients.update(realm_name, client.id, edited)
        wait_until(
            lambda: direct_admin.realms.get(realm_name).display_name == "Managed",
            TIMEOUT,
            "realm drift reverted",
        )
        wait_until(
            lambda: (
                (
                    direct_admin.clients.find(realm_name, "app") or ClientRepresentation()
                ).redirect_uris
                == ["https://app.example.com/cb"]
            ),
            TIMEOUT,
            "client drift reverted",
        )

    # Restart with everything in sync: reads only, zero writes.
    instance = f"{ns}/kc"
    writes_before = keycloak_requests(instance, writes_only=True)
    reads_before = keycloak_requests(instance)
    with running_controllers(crds, [ns], resync_period=600.0) as manager:
        wait_until(
            lambda: keycloak_requests(instance) - reads_before >= 3,
            TIMEOUT,
            "the restarted controllers to re-check every object",
        )
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "app"), TIMEOUT, "client Ready")
        # Every reconcile in flight must have finished before the writes are counted.
        wait_idle(manager, TIMEOUT)
    assert keycloak_requests(instance, writes_only=True) == writes_before


def test_ownership_conflict_and_adoption(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ns"))
    realm_name = unique_name("realm")
    direct_admin.realms.create(
        RealmRepresentation(realm=realm_name, enabled=True, display_name="Hand-made")
    )
    setup_keycloak(kube, ns, keycloak)
    kube.create(
        "keycloakrealms", ns, realm_object("realm", "kc", realm_name, displayName="Managed")
    )
    try:
        with running_controllers(crds, [ns]):
            wait_until(
                lambda: kube.reason("keycloakrealms", ns, "realm") == "OwnershipConflict",
                TIMEOUT,
                "OwnershipConflict",
            )
            stalled = kube.condition("keycloakrealms", ns, "realm", "Stalled")
            assert stalled is not None and stalled["status"] == "True"
            assert "adoptExisting" in kube.condition("keycloakrealms", ns, "realm")["message"]
            assert direct_admin.realms.get(realm_name).display_name == "Hand-made"

            # A second resource for the same realm conflicts once the first owns it.
            kube.patch("keycloakrealms", ns, "realm", {"spec": {"adoptExisting": True}})
            wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "adopted")
            assert direct_admin.realms.get(realm_name).display_name == "Managed"
            assert kube.condition("keycloakrealms", ns, "realm", "Stalled") is None
            kube.create(
                "keycloakrealms",
                ns,
                realm_object("twin", "kc", realm_name, displayName="Twin", adoptExisting=True),
            )
            wait_until(
                lambda: kube.reason("keycloakrealms", ns, "twin") == "OwnershipConflict",
                TIMEOUT,
                "the twin's OwnershipConflict",
            )
            assert "KeycloakRealm" in kube.condition("keycloakrealms", ns, "twin")["message"]
            # Deleting the twin must not delete the realm it does not own.
            kube.delete("keycloakrealms", ns, "twin")
            wait_until(lambda: kube.get("keycloakrealms", ns, "twin") is None, TIMEOUT, "gone")
            assert direct_admin.realms.get(realm_name).display_name == "Managed"
            kube.delete("keycloakrealms", ns, "realm")
            wait_until(lambda: kube.get("keycloakrealms", ns, "realm") is None, TIMEOUT, "gone")
    finally:
        if any(r.realm == realm_name for r in direct_admin.realms.list()):
            direct_admin.realms.delete(realm_name)


def test_cross_namespace_grants_and_the_credentials_secret(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
) -> None:
    kube = Kube(crds)
    platform = kube.namespace(unique_name("platform"))
    team = kube.namespace(unique_name("team"))
    realm_name = unique_name("realm")
    setup_keycloak(kube, platform, keycloak)
    kube.create("keycloakrealms", platform, realm_object("realm", "kc", realm_name))
    ref = {"name": "realm", "namespace": platform}
    kube.create("keycloakclients", team, client_object("app", "realm", "app", realmRef=ref))
    with running_controllers(crds, [platform, team]):
        wait_until(
            lambda: kube.reason("keycloakclients", team, "app") == "NotGranted",
            TIMEOUT,
            "NotGranted without a grant",
        )
        wait_until(lambda: kube.is_ready("keycloakrealms", platform, "realm"), TIMEOUT, "realm")
        assert direct_admin.clients.find(realm_name, "app") is None
        # Admin roles need allowAdminRoles even with a grant.
        grants = [{"namespaces": [team]}]
        kube.patch(
            "keycloakrealms", platform, "realm", {"spec": {"clientAuthorizationGrants": grants}}
        )
        kube.patch(
            "keycloakclients",
            team,
            "app",
            {
                "spec": {
                    "flows": {"serviceAccounts": True},
                    "serviceAccount": {"clientRoles": {"realm-management": ["manage-users"]}},
                }
            },
        )
        wait_until(
            lambda: (
                "administrative roles"
                in (kube.condition("keycloakclients", team, "app") or {}).get("message", "")
            ),
            TIMEOUT,
            "admin roles refused",
        )
        kube.patch(
            "keycloakclients",
            team,
            "app",
            {"spec": {"serviceAccount": {"clientRoles": None, "realmRoles": []}}},
        )
        wait_until(lambda: kube.is_ready("keycloakclients", team, "app"), TIMEOUT, "granted")

        # kubectl wait works on the objects.
        subprocess.run(
            [
                str(kube_binaries().kubectl),
                "--kubeconfig",
                crds.kubeconfig,
                "wait",
                "--for=condition=Ready",
                "--timeout=30s",
                "-n",
                team,
                "keycloakclient/app",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )

        # The credentials Secret comes back when deleted and is put back when edited.
        original = kube.secret_data(team, "app-credentials")
        assert original is not None and original["client-secret"]
        kube.core.delete_namespaced_secret("app-credentials", team)
        wait_until(
            lambda: kube.secret_data(team, "app-credentials") == original,
            TIMEOUT,
            "the deleted Secret recreated",
        )
        kube.core.patch_namespaced_secret(
            "app-credentials", team, {"stringData": {"client-secret": "tampered"}}
        )
        wait_until(
            lambda: kube.secret_data(team, "app-credentials") == original,
            TIMEOUT,
            "the edited Secret put back",
        )
