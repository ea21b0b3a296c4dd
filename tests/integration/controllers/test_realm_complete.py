"""A realm with every section and setting populated makes zero Keycloak writes on its
second pass, on every Keycloak version (organizations only on 26+: 24 has none,
and on 25 see the note in the test). The login sections (flows and bindings, an
identity provider with a Secret-sourced secret and a mapper, LDAP federation, key
providers, client policies) run beside part 1's, so sections that keep records in
the realm's attributes are seen not to undo each other."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from keycloak_controller.keycloak.client import KeycloakAdmin
from tests.integration.controllers.test_realm_settings import SETTINGS
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    keycloak_requests,
    running_controllers,
    wait_idle,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint
from tests.support.ldap_server import LdapEndpoint

TIMEOUT = 120.0

SECTIONS: dict[str, Any] = {
    "roles": [{"name": "viewer"}, {"name": "editor", "composites": {"realmRoles": ["viewer"]}}],
    "groups": [
        {"path": "/eng", "attributes": {"team": ["eng"]}, "realmRoles": ["viewer"]},
        {"path": "/eng/backend", "clientRoles": {"account": ["view-profile"]}},
    ],
    "defaultGroups": ["/eng"],
    "defaultRoles": {"realmRoles": ["offline_access", "viewer"]},
    "userProfile": {
        "unmanagedAttributePolicy": "ADMIN_EDIT",
        "attributes": [
            {
                "name": "employeeNumber",
                "displayName": "Employee number",
                "validations": {"length": {"min": 1, "max": 6}},
            }
        ],
    },
    "clientScopes": [
        {
            "name": "tier",
            "protocol": "openid-connect",
            "protocolMappers": [
                {
                    "name": "tier",
                    "protocolMapper": "oidc-hardcoded-claim-mapper",
                    "config": {
                        "claim.name": "tier",
                        "claim.value": "gold",
                        "jsonType.label": "String",
                        "access.token.claim": "true",
                    },
                }
            ],
            "scopeMappings": {"realmRoles": ["viewer"]},
        }
    ],
    "requiredActions": [
        {"alias": "TERMS_AND_CONDITIONS", "enabled": True, "defaultAction": False},
        {"alias": "delete_account", "enabled": True},
    ],
}


def login_sections(ldap: LdapEndpoint) -> dict[str, Any]:
    """Part 2 of the realm; the Secrets `idp` (key `secret`) and `ldap` (`password`)."""
    ldap_provider = {
        "name": "corp",
        "connectionUrl": ldap.url,
        "bindDn": ldap.admin_dn,
        "bindCredentialSecretRef": {"name": "ldap", "key": "password"},
        "usersDn": ldap.people_dn,
        "vendor": "other",
        "editMode": "READ_ONLY",
        "usernameAttribute": "uid",
        "rdnAttribute": "uid",
        "uuidAttribute": "entryUUID",
        "userObjectClasses": ["inetOrgPerson", "organizationalPerson"],
        "mappers": [
            {
                "name": "username",
                "userAttribute": {"userModelAttribute": "username", "ldapAttribute": "uid"},
            }
        ],
    }
    return {
        "authenticationFlows": [
            {"alias": "complete grant", "copyOf": "direct grant"},
            {"alias": "complete first login", "copyOf": "first broker login"},
        ],
        "flowBindings": {"directGrant": "complete grant"},
        "identityProviders": [
            {
                "alias": "corp-sso",
                "providerId": "oidc",
                "firstBrokerLoginFlowAlias": "complete first login",
                "oidc": {
                    "authorizationUrl": "https://sso.example.test/auth",
                    "tokenUrl": "https://sso.example.test/token",
                    "clientId": "keycloak",
                    "clientSecretRef": {"name": "idp", "key": "secret"},
                },
                "mappers": [
                    {"name": "viewers", "hardcodedRole": {"role": "viewer"}},
                ],
            }
        ],
        "userFederation": {"ldap": [ldap_provider]},
        "keyProviders": [{"name": "hmac-extra", "hmacGenerated": {"algorithm": "HS384"}}],
        "clientPolicies": {
            "profiles": [
                {
                    "name": "pkce-required",
                    "executors": [
                        {"executor": "pkce-enforcer", "configuration": {"auto-configure": False}}
                    ],
                }
            ],
            "policies": [
                {
                    "name": "pkce-everywhere",
                    "enabled": False,
                    "conditions": [{"condition": "any-client", "configuration": {}}],
                    "profiles": ["pkce-required"],
                }
            ],
        },
    }


def test_a_complete_realm_makes_no_writes_on_its_second_pass(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    ldap: LdapEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    endpoint = keycloak_any_version
    kube = Kube(crds)
    ns = kube.namespace(unique_name("complete"))
    kube.secret(ns, "idp", {"secret": "complete-realm-idp-secret"})
    kube.secret(ns, "ldap", {"password": ldap.admin_password})
    with (
        KeycloakAdmin.with_password(
            endpoint.base_url, endpoint.admin_username, endpoint.admin_password
        ) as admin,
        running_controllers(crds, [ns], resync_period=2.0) as manager,
    ):
        realm = ready_realm(ns, endpoint=endpoint, timeout=TIMEOUT).realm_name
        defaults = {s.name or "" for s in admin.client_scopes.realm_defaults(realm)}
        optional = {s.name or "" for s in admin.client_scopes.realm_defaults(realm, optional=True)}
        spec: dict[str, Any] = {
            **SETTINGS,
            **SECTIONS,
            **login_sections(ldap),
            "defaultClientScopes": sorted(defaults | {"tier"}),
            "optionalClientScopes": sorted(optional),
        }
        # On 25 (organizations in preview) the groups section tries to delete the group
        # Keycloak keeps for an organization and is refused (HTTP 400 "Cannot manage
        # organization related group via non Organization API") on every pass: a known
        # gap between the groups and organizations sections, left out here until fixed.
        adapter = admin.adapter
        if adapter.supports_organizations and not adapter.organizations_preview:
            spec["organizationsEnabled"] = True
            spec["organizations"] = [
                {
                    "name": "acme",
                    "description": "ACME Corp",
                    "domains": [{"name": "acme.example", "verified": True}],
                }
            ]
        kube.patch("keycloakrealms", ns, "realm", {"spec": spec})
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "Ready")
        assert admin.realms.localization_texts(realm, "de") == {"loginAccountTitle": "Willkommen"}
        assert "tier" in {s.name for s in admin.client_scopes.realm_defaults(realm)}
        assert admin.realms.get(realm).direct_grant_flow == "complete grant"
        assert [p.alias for p in admin.identity_providers.list(realm)] == ["corp-sso"]

        # The second pass, and the 2 s resyncs after it, write nothing at all.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        kube.patch("keycloakrealms", ns, "realm", {"metadata": {"annotations": {"poke": "1"}}})
        time.sleep(5)
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes
        assert kube.is_ready("keycloakrealms", ns, "realm")
