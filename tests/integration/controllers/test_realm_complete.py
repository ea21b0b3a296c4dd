"""A realm with every section and setting populated makes zero Keycloak writes on its
second pass, on every Keycloak version (organizations only on 26+: 24 has none,
and on 25 see the note in the test)."""

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


def test_a_complete_realm_makes_no_writes_on_its_second_pass(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    endpoint = keycloak_any_version
    kube = Kube(crds)
    ns = kube.namespace(unique_name("complete"))
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

        # The second pass, and the 2 s resyncs after it, write nothing at all.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        kube.patch("keycloakrealms", ns, "realm", {"metadata": {"annotations": {"poke": "1"}}})
        time.sleep(5)
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes
        assert kube.is_ready("keycloakrealms", ns, "realm")
