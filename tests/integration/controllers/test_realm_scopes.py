"""A realm's client scopes, their mappers and scope mappings, and the realm's default and
optional client scopes, on every Keycloak version: a new default scope's hardcoded-claim
mapper puts its claim into the tokens of users who have a role the scope maps (and only
theirs); the second pass writes nothing; drift is reverted; an owned scope no longer listed
is deleted while built-in ones stay; Observe names the difference and writes nothing; bad
input gets a condition naming the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from keycloak_controller.controllers.realm_client_scopes import SCOPE_OWNER
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import ClientScopeRepresentation
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


def tier_scope(value: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "tier",
        "description": "The customer tier",
        "includeInTokenScope": True,
        "guiOrder": 5,
        "protocolMappers": [
            {
                "name": "tier",
                "protocolMapper": "oidc-hardcoded-claim-mapper",
                "config": {
                    "claim.name": "tier",
                    "claim.value": value,
                    "jsonType.label": "String",
                    "access.token.claim": "true",
                },
            }
        ],
        "scopeMappings": {"realmRoles": ["auditor"]},
        **extra,
    }


def find(admin: KeycloakAdmin, realm: str, name: str) -> ClientScopeRepresentation | None:
    return admin.client_scopes.find(realm, name)


def names(scopes: list[ClientScopeRepresentation]) -> set[str]:
    return {s.name or "" for s in scopes}


def test_client_scopes_lifecycle_on_every_version(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    endpoint = keycloak_any_version
    kube = Kube(crds)
    ns = kube.namespace(unique_name("scopes"))
    with (
        KeycloakAdmin.with_password(
            endpoint.base_url, endpoint.admin_username, endpoint.admin_password
        ) as admin,
        running_controllers(crds, [ns], resync_period=3.0) as manager,
    ):
        realm = ready_realm(
            ns, endpoint=endpoint, roles=[{"name": "auditor"}], timeout=TIMEOUT
        ).realm_name
        # The realm's own defaults (they differ by version: `basic` is 25+), plus ours.
        defaults = sorted(names(admin.client_scopes.realm_defaults(realm)) | {"tier"})
        optional = sorted(names(admin.client_scopes.realm_defaults(realm, optional=True)))
        scopes = [
            tier_scope("gold"),
            {"name": "extra", "protocol": "openid-connect", "displayOnConsentScreen": False},
            {"name": "profile", "consentScreenText": "Your profile, please"},
        ]
        kube.patch(
            "keycloakrealms",
            ns,
            "realm",
            {
                "spec": {
                    "clientScopes": scopes,
                    "defaultClientScopes": defaults,
                    "optionalClientScopes": [*optional, "extra"],
                }
            },
        )
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "scopes")

        tier = find(admin, realm, "tier")
        assert tier is not None and tier.id
        attrs = tier.attributes or {}
        assert attrs.get("include.in.token.scope") == "true" and attrs.get("gui.order") == "5"
        assert attrs.get(SCOPE_OWNER) == f"KeycloakRealm/{ns}/realm"
        assert [m.name for m in tier.protocol_mappers or []] == ["tier"]
        mapped = admin.client_scopes.scope_mappings(realm, tier.id)
        assert [r.name for r in mapped.realm_mappings or []] == ["auditor"]
        profile = find(admin, realm, "profile")
        assert profile is not None
        assert (profile.attributes or {}).get("consent.screen.text") == "Your profile, please"
        assert SCOPE_OWNER not in (profile.attributes or {}), "a built-in scope was adopted"
        assert names(admin.client_scopes.realm_defaults(realm)) == set(defaults)
        assert "extra" in names(admin.client_scopes.realm_defaults(realm, optional=True))

        # Behaviour: a new client copies the realm's default scopes, so the tier
        # scope's hardcoded claim is in its users' tokens.
        kube.create(
            "keycloakclients",
            ns,
            client_object(
                "login", "realm", "login", accessType="Public", flows={"directAccessGrants": True}
            ),
        )
        kube.secret(ns, "alice-password", {"password": "alice-Secret-1"})
        password = {"secretRef": {"name": "alice-password", "key": "password"}, "mode": "Managed"}
        user = user_object(
            "alice",
            "realm",
            "alice",
            email="alice@example.com",
            firstName="Alice",
            lastName="Example",
            emailVerified=True,
            password=password,
        )
        kube.create("keycloakusers", ns, user)
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "login"), TIMEOUT, "client")
        wait_until(lambda: kube.is_ready("keycloakusers", ns, "alice"), TIMEOUT, "user")
        # The scope maps the auditor role: Keycloak applies it only to users who have
        # one of its mapped roles, so alice gets the claim once she is an auditor.
        claims = log_in(endpoint, realm, "alice", "alice-Secret-1")
        assert claims is not None and "tier" not in claims, claims
        kube.patch("keycloakusers", ns, "alice", {"spec": {"realmRoles": ["auditor"]}})
        wait_until(lambda: kube.is_ready("keycloakusers", ns, "alice"), TIMEOUT, "auditor")
        claims = log_in(endpoint, realm, "alice", "alice-Secret-1")
        assert claims is not None and claims.get("tier") == "gold", claims
        assert "tier" in claims["scope"].split()

        # The second pass of an in-sync realm writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        kube.patch("keycloakrealms", ns, "realm", {"metadata": {"annotations": {"poke": "1"}}})
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes

        # Drift behind the controller's back is reverted (resync): a mapper's config,
        # a scope mapping and a realm default.
        mapper = (tier.protocol_mappers or [])[0]
        drifted = mapper.model_copy(deep=True)
        drifted.config = {**(mapper.config or {}), "claim.value": "bronze"}
        admin.client_scope_protocol_mappers.update(realm, tier.id, mapper.id or "", drifted)
        admin.client_scopes.remove_scope_mappings(realm, tier.id, mapped.realm_mappings or [])
        admin.client_scopes.remove_realm_default(realm, tier.id)

        def reverted() -> bool:
            now = find(admin, realm, "tier")
            mappers = (now.protocol_mappers if now else None) or []
            config = (mappers[0].config if mappers else None) or {}
            roles = admin.client_scopes.scope_mappings(realm, tier.id or "").realm_mappings
            return (
                config.get("claim.value") == "gold"
                and [r.name for r in roles or []] == ["auditor"]
                and "tier" in names(admin.client_scopes.realm_defaults(realm))
            )

        wait_until(reverted, TIMEOUT, "the drift reverted")

        # A change (the claim's value) and a removal: the owned `extra` scope goes,
        # the built-in `profile` stays although it is no longer listed.
        kube.patch(
            "keycloakrealms",
            ns,
            "realm",
            {"spec": {"clientScopes": [tier_scope("platinum")], "optionalClientScopes": optional}},
        )
        wait_until(lambda: find(admin, realm, "extra") is None, TIMEOUT, "extra deleted")
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "changed")
        assert find(admin, realm, "profile") is not None
        claims = log_in(endpoint, realm, "alice", "alice-Secret-1")
        assert claims is not None and claims.get("tier") == "platinum", claims

        # Observe: a second KeycloakRealm on the same realm names the difference and
        # writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        observer = realm_object(
            "watcher",
            "kc",
            realm,
            managementPolicy="Observe",
            clientScopes=[tier_scope("platinum", description="Another description")],
            defaultClientScopes=[d for d in defaults if d != "tier"],
        )
        kube.create("keycloakrealms", ns, observer)

        def observed() -> bool:
            cond = kube.condition("keycloakrealms", ns, "watcher", "InSync") or {}
            return cond.get("status") == "False"

        wait_until(observed, TIMEOUT, "Observe reports the drift")
        message = kube.condition("keycloakrealms", ns, "watcher", "InSync")["message"]
        assert "clientScopes[tier]" in message and "defaultClientScopes[tier]" in message
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes
        kube.delete("keycloakrealms", ns, "watcher")

        # Bad input: an unknown mapper type and an unknown default scope, by field.
        bad = tier_scope("platinum")
        bad["protocolMappers"][0]["protocolMapper"] = "no-such-mapper"
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"clientScopes": [bad]}})

        def refused(text: str) -> Callable[[], bool]:
            return lambda: (
                text in ((kube.condition("keycloakrealms", ns, "realm") or {}).get("message") or "")
            )

        wait_until(
            refused("spec.clientScopes[tier].protocolMappers[tier].protocolMapper"),
            TIMEOUT,
            "the unknown mapper type refused",
        )
        assert kube.reason("keycloakrealms", ns, "realm") == "InvalidSpec"
        kube.patch(
            "keycloakrealms",
            ns,
            "realm",
            {
                "spec": {
                    "clientScopes": [tier_scope("platinum")],
                    "defaultClientScopes": [*defaults, "nope"],
                }
            },
        )
        wait_until(refused("spec.defaultClientScopes"), TIMEOUT, "the unknown scope refused")
        assert "nope" in kube.condition("keycloakrealms", ns, "realm")["message"]
        now = find(admin, realm, "tier")
        assert now is not None and [m.protocol_mapper for m in now.protocol_mappers or []] == [
            "oidc-hardcoded-claim-mapper"
        ]
