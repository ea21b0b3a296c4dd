"""Create -> Ready -> change -> Ready at the new generation -> delete -> cleaned up, per kind."""

from __future__ import annotations

from collections.abc import Callable

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
from tests.support.keycloak_server import KeycloakEndpoint

TIMEOUT = 60.0


def realm_exists(admin: KeycloakAdmin, name: str) -> bool:
    try:
        admin.realms.get(name)
    except NotFound:
        return False
    return True


def test_lifecycle_of_every_kind(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ns"))
    with running_controllers(crds, [ns]):
        realm_name = ready_realm(
            ns,
            displayName="First",
            roles=[
                {"name": "viewer"},
                {"name": "editor", "composites": {"realmRoles": ["viewer"]}},
            ],
        ).realm_name
        kc = kube.get("keycloaks", ns, "kc") or {}
        assert kc["status"]["serverVersion"] == keycloak.version
        assert kc["status"]["circuitBreaker"] == "Closed"
        kube.create(
            "keycloakclients",
            ns,
            client_object(
                "app",
                "realm",
                "app",
                redirectUris=["https://app.example.com/*"],
                flows={"serviceAccounts": True},
                roles=[{"name": "reader"}],
                protocolMappers=[
                    {
                        "name": "team",
                        "protocolMapper": "oidc-hardcoded-claim-mapper",
                        "config": {"claim.name": "team", "claim.value": "a"},
                    }
                ],
                serviceAccount={"realmRoles": ["viewer"]},
            ),
        )
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "app"), TIMEOUT, "client Ready")
        # The controller's writes carry its name, which kubectl shows as the field manager.
        app = kube.get("keycloakclients", ns, "app") or {}
        managers = {
            (m["manager"], m.get("subresource", "")) for m in app["metadata"]["managedFields"]
        }
        assert {("keycloak-controller", ""), ("keycloak-controller", "status")} <= managers

        realm = direct_admin.realms.get(realm_name)
        assert realm.display_name == "First"
        editor = direct_admin.roles.composites(realm_name, "editor")
        assert [r.name for r in editor] == ["viewer"]
        client = direct_admin.clients.find(realm_name, "app")
        assert client is not None and client.id
        assert client.redirect_uris == ["https://app.example.com/*"]
        assert [m.name for m in client.protocol_mappers or []] == ["team"]
        assert [r.name for r in direct_admin.roles.list(realm_name, client.id)] == ["reader"]
        sa = direct_admin.clients.service_account_user_id(realm_name, client.id)
        mapped = {r.name for r in direct_admin.user_role_mappings.list(realm_name, sa)}
        assert "viewer" in mapped

        secret = kube.secret_data(ns, "app-credentials")
        assert secret is not None
        assert secret["client-id"] == "app"
        expected = direct_admin.clients.get_secret(realm_name, client.id).value
        assert secret["client-secret"] == expected
        assert secret["issuer"] == f"{keycloak.base_url}/realms/{realm_name}"
        assert secret["token-endpoint"].endswith("/protocol/openid-connect/token")

        # A spec change: Ready again at the new generation, and Keycloak follows.
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"displayName": "Second"}})
        kube.patch(
            "keycloakclients", ns, "app", {"spec": {"redirectUris": ["https://b.example.com/cb"]}}
        )
        wait_until(
            lambda: direct_admin.realms.get(realm_name).display_name == "Second",
            TIMEOUT,
            "the new display name in Keycloak",
        )
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "realm Ready")
        wait_until(
            lambda: (
                (direct_admin.clients.find(realm_name, "app") or client).redirect_uris
                == ["https://b.example.com/cb"]
            ),
            TIMEOUT,
            "the new redirect URI in Keycloak",
        )
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "app"), TIMEOUT, "client Ready")

        # Delete: the client goes from Keycloak, then the realm.
        kube.delete("keycloakclients", ns, "app")
        wait_until(lambda: kube.get("keycloakclients", ns, "app") is None, TIMEOUT, "client gone")
        assert direct_admin.clients.find(realm_name, "app") is None
        kube.delete("keycloakrealms", ns, "realm")
        wait_until(lambda: kube.get("keycloakrealms", ns, "realm") is None, TIMEOUT, "realm gone")
        assert not realm_exists(direct_admin, realm_name)
        kube.delete("keycloaks", ns, "kc")
        wait_until(lambda: kube.get("keycloaks", ns, "kc") is None, TIMEOUT, "Keycloak gone")
