"""Applying the same desired state twice writes nothing the second time."""

from __future__ import annotations

import pytest

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.diff import diff
from keycloak_controller.keycloak.models import (
    ClientRepresentation,
    GroupRepresentation,
    ProtocolMapperRepresentation,
    RoleRepresentation,
)

pytestmark = pytest.mark.keycloak_versions


def apply_state(admin: KeycloakAdmin, realm: str) -> None:
    """A minimal reconcile: create what is missing, update only what differs."""
    desired_client = ClientRepresentation(
        client_id="portal",
        enabled=True,
        public_client=True,
        redirect_uris=["https://portal.example/b/*", "https://portal.example/a/*"],
        web_origins=["+"],
        attributes={"pkce.code.challenge.method": "S256"},
        protocol_mappers=[
            ProtocolMapperRepresentation(
                name="aud",
                protocol="openid-connect",
                protocol_mapper="oidc-audience-mapper",
                config={"included.client.audience": "portal", "access.token.claim": "true"},
            )
        ],
    )
    actual = admin.clients.find(realm, "portal")
    if actual is None:
        admin.clients.create(realm, desired_client)
    else:
        update = diff(desired_client, actual)
        if update:
            admin.clients.update(realm, actual.id or "", update.apply_to(actual))

    desired_role = RoleRepresentation(name="portal-user", description="uses the portal")
    roles = {r.name: r for r in admin.roles.list(realm)}
    if "portal-user" not in roles:
        admin.roles.create(realm, desired_role)
    elif update_role := diff(desired_role, roles["portal-user"]):
        admin.roles.update(realm, "portal-user", update_role.apply_to(roles["portal-user"]))

    desired_group = GroupRepresentation(name="portal-users", attributes={"tier": ["gold"]})
    groups = {g.name: g for g in admin.groups.list(realm)}
    if "portal-users" not in groups:
        admin.groups.create(realm, desired_group)
    elif update_group := diff(desired_group, groups["portal-users"]):
        group = groups["portal-users"]
        admin.groups.update(realm, group.id or "", update_group.apply_to(group))


def test_second_apply_makes_zero_writes(admin_any: KeycloakAdmin, realm_any: str) -> None:
    before = admin_any.transport.writes_sent
    apply_state(admin_any, realm_any)
    assert admin_any.transport.writes_sent - before == 3  # one create each

    before = admin_any.transport.writes_sent
    reads_before = admin_any.transport.requests_sent
    apply_state(admin_any, realm_any)
    assert admin_any.transport.writes_sent == before, "nothing changed, so nothing is written"
    assert admin_any.transport.requests_sent > reads_before  # it did look

    # A real change produces exactly one write, and then converges again.
    client = admin_any.clients.find(realm_any, "portal")
    assert client is not None
    client.redirect_uris = ["https://elsewhere.example/*"]
    admin_any.clients.update(realm_any, client.id or "", client)
    before = admin_any.transport.writes_sent
    apply_state(admin_any, realm_any)
    assert admin_any.transport.writes_sent - before == 1
    got = admin_any.clients.find(realm_any, "portal")
    assert got is not None and sorted(got.redirect_uris or []) == [
        "https://portal.example/a/*",
        "https://portal.example/b/*",
    ]
    before = admin_any.transport.writes_sent
    apply_state(admin_any, realm_any)
    assert admin_any.transport.writes_sent == before
