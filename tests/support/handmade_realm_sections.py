"""The hand-made realm's further sections (flows, required actions, localization, user
profile, key providers and components, client policies, organizations, Kerberos), built
by hand and snapshotted for the export round trip."""

from __future__ import annotations

from typing import Any

from keycloak_controller.keycloak.client import KeycloakAdmin

# Keys Keycloak fills with its default on a write path the hand-made objects never
# took (see handmade_realm.KEYCLOAK_FILLED_DEFAULTS), for the further realm sections.
SECTION_FILLED_DEFAULTS: dict[str, Any] = {}
# What the export's Secret stubs for the further realm sections are filled with, by key suffix.
SECTION_SECRET_VALUES: dict[str, str] = {}


def build_sections(admin: KeycloakAdmin, name: str) -> None:
    """Adds the further realm sections to the hand-made realm `name`."""


def snapshot_sections(admin: KeycloakAdmin, realm: str) -> dict[str, Any]:
    """The further realm sections of `realm` as comparable plain data, by snapshot key."""
    return {}
