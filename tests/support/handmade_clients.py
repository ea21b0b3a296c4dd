"""The hand-made realm's further clients (SAML, typed OIDC settings, flow overrides,
authorization services), built by hand and snapshotted for the export round trip."""

from __future__ import annotations

from typing import Any

from keycloak_controller.keycloak.client import KeycloakAdmin

# Keys Keycloak fills with its default on a write path the hand-made objects never
# took (see handmade_realm.KEYCLOAK_FILLED_DEFAULTS), for the further clients.
CLIENT_FILLED_DEFAULTS: dict[str, Any] = {}
# What the export's Secret stubs for the further clients are filled with, by key suffix.
CLIENT_SECRET_VALUES: dict[str, str] = {}


def build_more_clients(admin: KeycloakAdmin, name: str) -> None:
    """Adds the further clients to the hand-made realm `name`."""


def snapshot_more_clients(admin: KeycloakAdmin, realm: str) -> dict[str, Any]:
    """The further clients' details of `realm` as comparable plain data, by snapshot key."""
    return {}
