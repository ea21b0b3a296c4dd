"""Keycloak 24.x: differences from 25.x (on top of Keycloak25Adapter's).

From docs/keycloak-api-differences.md (24.0.3 -> 25.0.4) and the 25.0 release
notes: no organizations at all, no client `type`, no execution `priority`,
and health endpoints on the main HTTP port instead of the management port.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from keycloak_controller.keycloak.adapters.findings import Finding, Severity
from keycloak_controller.keycloak.adapters.kinds import Kind
from keycloak_controller.keycloak.adapters.v25 import Keycloak25Adapter


def _merged(*tables: Mapping[Kind, Mapping[str, str]]) -> dict[Kind, dict[str, str]]:
    out: dict[Kind, dict[str, str]] = {}
    for table in tables:
        for kind, fields in table.items():
            out.setdefault(kind, {}).update(fields)
    return out


_REALM_25_FIELDS = {"organizationsEnabled": "25", "organizations": "25"}


class Keycloak24Adapter(Keycloak25Adapter):
    MISSING_FIELDS: ClassVar[Mapping[Kind, Mapping[str, str]]] = _merged(
        Keycloak25Adapter.MISSING_FIELDS,
        {
            Kind.REALM: _REALM_25_FIELDS,
            Kind.PARTIAL_IMPORT: _REALM_25_FIELDS,
            Kind.CLIENT: {"type": "25"},
            Kind.AUTHENTICATION_EXECUTION: {"priority": "25"},
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
