"""Keycloak 24.x: differences from 25.x (on top of Keycloak25Adapter's).

From docs/keycloak-api-differences.md (24.0.3 -> 25.0.4) and the 25.0 release
notes: no organizations at all, no client `type`, no execution `priority`,
no `globalPolicies` beside a realm's client policies, and health endpoints
on the main HTTP port instead of the management port.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from keycloak_controller.keycloak.adapters.base import merged_tables
from keycloak_controller.keycloak.adapters.findings import Finding, Severity
from keycloak_controller.keycloak.adapters.kinds import Kind
from keycloak_controller.keycloak.adapters.v25 import Keycloak25Adapter

_REALM_25_FIELDS = {"organizationsEnabled": "25.0", "organizations": "25.0"}


class Keycloak24Adapter(Keycloak25Adapter):
    ADDED_FIELDS: ClassVar[Mapping[Kind, Mapping[str, str]]] = merged_tables(
        Keycloak25Adapter.ADDED_FIELDS,
        {
            Kind.REALM: _REALM_25_FIELDS,
            Kind.PARTIAL_IMPORT: _REALM_25_FIELDS,
            Kind.CLIENT: {"type": "25.0"},
            Kind.AUTHENTICATION_EXECUTION: {"priority": "25.0"},
            Kind.CLIENT_POLICIES: {"globalPolicies": "25.0"},
        },
    )
    supports_organizations = False
    organizations_preview = False
    health_on_management_port = False

    def _validate_extra(
        self, kind: Kind, payload: Mapping[str, Any], where: str, out: list[Finding]
    ) -> None:
        super()._validate_extra(kind, payload, where, out)
        if kind in (Kind.REALM, Kind.PARTIAL_IMPORT) and payload.get("organizationsEnabled"):
            out.append(
                Finding(
                    Severity.ERROR,
                    "OrganizationsNotSupported",
                    self._no_organizations_message(),
                    field=f"{where}organizationsEnabled",
                )
            )
