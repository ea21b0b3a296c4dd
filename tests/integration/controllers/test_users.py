"""KeycloakUser on every Keycloak version, proven by logging in: a password from a
Secret works, a changed Secret changes it, roles land in the token, groups follow
the spec, deletion removes the user, and tenancy refuses what it should."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import GroupRepresentation
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    client_object,
    log_in,
    running_controllers,
    user_object,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint

TIMEOUT = 90.0


def set_password_secret(kube: Kube, ns: str, value: str) -> None:
    encoded = base64.b64encode(value.encode()).decode()
    kube.core.patch_namespaced_secret("alice-password", ns, {"data": {"password": encoded}})


def test_user_lifecycle_on_every_version(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    endpoint = keycloak_any_version
    kube = Kube(crds)
    ns = kube.namespace(unique_name("users"))
    with (
        KeycloakAdmin.with_password(
            endpoint.base_url, endpoint.admin_username, endpoint.admin_password
        ) as admin,
        running_controllers(crds, [ns]),
    ):
        realm = ready_realm(
            ns, endpoint=endpoint, roles=[{"name": "viewer"}], timeout=TIMEOUT
        ).realm_name
        kube.create(
            "keycloakclients",
            ns,
            client_object(
                "login", "realm", "login", accessType="Public", flows={"directAccessGrants": True}
            ),
        )
        admin.groups.create(realm, GroupRepresentation(name="team"))
        kube.secret(ns, "alice-password", {"password": "first-Secret-1"})
        password = {"secretRef": {"name": "alice-password", "key": "password"}, "mode": "Managed"}
        kube.create(
            "keycloakusers",
            ns,
            user_object(
                "alice",
                "realm",
                "alice",
                email="alice@example.com",
                firstName="Alice",
                lastName="Example",
                emailVerified=True,
                password=password,
                realmRoles=["viewer"],
                groups=["/team"],
            ),
        )
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "login"), TIMEOUT, "client")
        wait_until(lambda: kube.is_ready("keycloakusers", ns, "alice"), TIMEOUT, "user Ready")

        user = admin.users.find(realm, "alice")
        assert user is not None and user.email == "alice@example.com"
        status = (kube.get("keycloakusers", ns, "alice") or {})["status"]
        assert status["userId"] == user.id and status["realmName"] == realm
        assert "first-Secret-1" not in json.dumps(status)
        claims = log_in(endpoint, realm, "alice", "first-Secret-1")
        assert claims is not None, "the password from the Secret does not log in"
        assert "viewer" in claims["realm_access"]["roles"]
        assert [g.path for g in admin.users.groups(realm, user.id or "")] == ["/team"]

        # A changed Secret is a changed password: the new one works, the old one fails.
        set_password_secret(kube, ns, "second-Secret-2")
        wait_until(
            lambda: log_in(endpoint, realm, "alice", "second-Secret-2") is not None,
            TIMEOUT,
            "the new password",
        )
        assert log_in(endpoint, realm, "alice", "first-Secret-1") is None

        # Authoritative sets: an empty list removes what the spec no longer lists.
        kube.patch("keycloakusers", ns, "alice", {"spec": {"groups": [], "realmRoles": []}})
        wait_until(lambda: kube.is_ready("keycloakusers", ns, "alice"), TIMEOUT, "user Ready")
        assert admin.users.groups(realm, user.id or "") == []
        claims = log_in(endpoint, realm, "alice", "second-Secret-2")
        assert claims is not None and "viewer" not in claims["realm_access"]["roles"]

        kube.delete("keycloakusers", ns, "alice")
        wait_until(lambda: kube.get("keycloakusers", ns, "alice") is None, TIMEOUT, "user gone")
        assert admin.users.find(realm, "alice") is None


def test_users_need_the_realms_grant_and_admin_roles_need_allow_admin_roles(
    crds: ControlPlaneEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    platform = kube.namespace(unique_name("platform"))
    team = kube.namespace(unique_name("team"))
    with running_controllers(crds, [platform, team]):
        realm = ready_realm(platform).realm_name
        ref = {"name": "realm", "namespace": platform}
        kube.create("keycloakusers", team, user_object("bob", "realm", "bob", realmRef=ref))
        wait_until(
            lambda: kube.reason("keycloakusers", team, "bob") == "NotGranted",
            TIMEOUT,
            "NotGranted without a grant",
        )
        assert direct_admin.users.find(realm, "bob") is None
        # In the realm's own namespace a user needs no grant, but admin roles do.
        kube.create(
            "keycloakusers",
            platform,
            user_object(
                "root", "realm", "root", clientRoles={"realm-management": ["manage-users"]}
            ),
        )
        wait_until(
            lambda: (
                "allowAdminRoles"
                in (kube.condition("keycloakusers", platform, "root") or {}).get("message", "")
            ),
            TIMEOUT,
            "admin roles refused",
        )
        assert direct_admin.users.find(realm, "root") is None
        grants = [{"namespaces": [team]}]
        kube.patch(
            "keycloakrealms", platform, "realm", {"spec": {"clientAuthorizationGrants": grants}}
        )
        wait_until(lambda: kube.is_ready("keycloakusers", team, "bob"), TIMEOUT, "granted")
        assert direct_admin.users.find(realm, "bob") is not None
