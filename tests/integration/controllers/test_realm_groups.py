"""spec.groups, spec.defaultGroups and spec.defaultRoles on every Keycloak version.

One lifecycle per version: created in the realm's first reconcile (subgroups
under new parents), proven by a token (a member of a subgroup gets the
subgroup's and the parent's roles, and the default roles), a new user joins the
default group, a second pass writes nothing, drift is reverted, unlisting
deletes only what this resource created (never a subtree holding a group made
elsewhere), bad input is a condition naming the field, and Observe reports the
difference without writing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from keycloak_controller.controllers.realm_groups import GROUP_OWNER
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import GroupRepresentation, UserRepresentation
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    client_object,
    keycloak_requests,
    log_in,
    realm_object,
    running_controllers,
    user_object,
    wait_idle,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint

TIMEOUT = 90.0

GROUPS: list[dict[str, Any]] = [
    {
        "path": "/eng",
        "description": "Engineering",
        "attributes": {"team": ["eng"]},
        "realmRoles": ["viewer"],
    },
    {
        "path": "/eng/backend",
        "realmRoles": ["editor"],
        "clientRoles": {"account": ["view-profile"]},
    },
    {"path": "/old"},
]


def tree(admin: KeycloakAdmin, realm: str) -> dict[str, GroupRepresentation]:
    return {g.path or "": g for g in admin.groups.iter_tree(realm)}


def realm_role_names(admin: KeycloakAdmin, realm: str, group_id: str) -> set[str]:
    return {r.name or "" for r in admin.group_role_mappings.list(realm, group_id)}


def default_role_names(admin: KeycloakAdmin, realm: str) -> set[str]:
    composites = admin.roles.composites(realm, f"default-roles-{realm}")
    return {r.name or "" for r in composites if not r.client_role}


def message(kube: Kube, ns: str, name: str, type_: str = "Ready") -> str:
    return str((kube.condition("keycloakrealms", ns, name, type_) or {}).get("message", ""))


def test_groups_lifecycle_on_every_version(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    endpoint = keycloak_any_version
    kube = Kube(crds)
    ns = kube.namespace(unique_name("groups"))
    with (
        KeycloakAdmin.with_password(
            endpoint.base_url, endpoint.admin_username, endpoint.admin_password
        ) as admin,
        running_controllers(crds, [ns]) as manager,
    ):
        # Everything in the realm's first reconcile: roles, groups under new parents,
        # a default group and default roles that name them.
        realm = ready_realm(
            ns,
            endpoint=endpoint,
            timeout=TIMEOUT,
            roles=[{"name": "viewer"}, {"name": "editor"}],
            groups=GROUPS,
            defaultGroups=["/eng"],
            defaultRoles={"realmRoles": ["offline_access", "viewer"]},
        ).realm_name
        groups = tree(admin, realm)
        assert {"/eng", "/eng/backend", "/old"} <= set(groups)
        eng, backend = groups["/eng"], groups["/eng/backend"]
        assert (eng.attributes or {})["team"] == ["eng"]
        assert (eng.attributes or {})[GROUP_OWNER] == [f"KeycloakRealm/{ns}/realm"]
        if endpoint.version.startswith("26.7"):
            assert eng.description == "Engineering"
        assert realm_role_names(admin, realm, eng.id or "") == {"viewer"}
        assert realm_role_names(admin, realm, backend.id or "") == {"editor"}
        assert [g.path for g in admin.groups.default_groups(realm)] == ["/eng"]
        assert {"offline_access", "viewer"} == default_role_names(admin, realm)

        # Proof by token: a member of /eng/backend gets editor (its own), viewer (from
        # /eng and from the default roles) and the account client role.
        kube.create(
            "keycloakclients",
            ns,
            client_object(
                "login", "realm", "login", accessType="Public", flows={"directAccessGrants": True}
            ),
        )
        kube.secret(ns, "alice-password", {"password": "alice-Secret-1"})
        password = {"secretRef": {"name": "alice-password", "key": "password"}}
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
                groups=["/eng/backend"],
            ),
        )
        wait_until(lambda: kube.is_ready("keycloakusers", ns, "alice"), TIMEOUT, "user Ready")
        claims = log_in(endpoint, realm, "alice", "alice-Secret-1")
        assert claims is not None
        assert {"editor", "viewer", "offline_access"} <= set(claims["realm_access"]["roles"])
        assert "uma_authorization" not in claims["realm_access"]["roles"]
        assert "view-profile" in claims["resource_access"]["account"]["roles"]
        # A new user joins the default group.
        bob = admin.users.create(realm, UserRepresentation(username="bob", enabled=True))
        assert [g.path for g in admin.users.groups(realm, bob)] == ["/eng"]

        # A second pass of an in-sync realm writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        kube.patch("keycloakrealms", ns, "realm", {"metadata": {"annotations": {"poke": "1"}}})
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes

        # Drift behind the controller's back is reverted.
        admin.group_role_mappings.remove(
            realm, eng.id or "", admin.group_role_mappings.list(realm, eng.id or "")
        )
        admin.groups.update(
            realm,
            eng.id or "",
            GroupRepresentation(name="eng", attributes={**(eng.attributes or {}), "team": ["x"]}),
        )
        admin.groups.remove_default_group(realm, eng.id or "")
        admin.roles.remove_composites(
            realm, f"default-roles-{realm}", [admin.roles.get(realm, "viewer")]
        )
        kube.patch("keycloakrealms", ns, "realm", {"metadata": {"annotations": {"poke": "2"}}})

        def reverted() -> bool:
            now = admin.groups.get(realm, eng.id or "")
            return (
                (now.attributes or {}).get("team") == ["eng"]
                and realm_role_names(admin, realm, eng.id or "") == {"viewer"}
                and [g.path for g in admin.groups.default_groups(realm)] == ["/eng"]
                and "viewer" in default_role_names(admin, realm)
            )

        wait_until(reverted, TIMEOUT, "the drift reverted")

        # Owned-only removal: /eng/backend (created here) goes; /old (created here) stays
        # while it holds a subgroup made elsewhere; groups made elsewhere stay.
        admin.groups.create(realm, GroupRepresentation(name="manual"), groups["/old"].id)
        admin.groups.create(realm, GroupRepresentation(name="outside"))
        change = {
            "groups": [{"path": "/eng", "attributes": {"team": ["eng"]}, "realmRoles": []}],
            "defaultGroups": [],
            "defaultRoles": {"realmRoles": ["offline_access"]},
        }
        kube.patch("keycloakrealms", ns, "realm", {"spec": change})
        wait_until(lambda: "/eng/backend" not in tree(admin, realm), TIMEOUT, "backend deleted")
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "Ready")
        groups = tree(admin, realm)
        assert {"/eng", "/old", "/old/manual", "/outside"} <= set(groups)
        assert realm_role_names(admin, realm, eng.id or "") == set()
        assert admin.groups.default_groups(realm) == []
        assert default_role_names(admin, realm) == {"offline_access"}

        # Bad input: a condition naming the field, nothing lost.
        with pytest.raises(ApiException) as refused:
            kube.patch(
                "keycloakrealms",
                ns,
                "realm",
                {"spec": {"groups": [{"path": "/eng"}, {"path": "/eng"}]}},
            )
        assert refused.value.status == 422 and "/eng" in str(refused.value.body)
        kube.patch(
            "keycloakrealms",
            ns,
            "realm",
            {"spec": {"groups": [{"path": "/eng", "realmRoles": ["no-such-role"]}]}},
        )
        wait_until(
            lambda: "spec.groups[/eng].realmRoles" in message(kube, ns, "realm"),
            TIMEOUT,
            "the unknown role named",
        )
        assert "no-such-role" in message(kube, ns, "realm")
        kube.patch(
            "keycloakrealms",
            ns,
            "realm",
            {"spec": {"groups": [{"path": "/eng"}], "defaultGroups": ["/missing"]}},
        )
        wait_until(
            lambda: "spec.defaultGroups[/missing]" in message(kube, ns, "realm"),
            TIMEOUT,
            "the missing default group named",
        )
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"groups": [{"path": "/eng/x/y"}]}})
        wait_until(
            lambda: "spec.groups[/eng/x/y]" in message(kube, ns, "realm"),
            TIMEOUT,
            "the missing parent named",
        )
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"defaultGroups": ["/eng"]}})
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"groups": [{"path": "/eng"}]}})
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "Ready again")
        assert {"/eng", "/old", "/old/manual", "/outside"} <= set(tree(admin, realm))

        # Observe: a second KeycloakRealm on the same realm reports the difference and
        # writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        observer = realm_object(
            "observer",
            "kc",
            realm,
            managementPolicy="Observe",
            deletionPolicy="Retain",
            groups=[{"path": "/eng", "attributes": {"team": ["other"]}}, {"path": "/new"}],
            defaultGroups=["/eng"],
        )
        kube.create("keycloakrealms", ns, observer)
        wait_until(
            lambda: (
                (kube.condition("keycloakrealms", ns, "observer", "InSync") or {}).get("status")
                == "False"
            ),
            TIMEOUT,
            "the drift in InSync",
        )
        in_sync = message(kube, ns, "observer", "InSync")
        assert "groups[/eng]" in in_sync and "groups[/new] (create)" in in_sync
        assert "other" not in in_sync
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes
        assert "/new" not in tree(admin, realm)
