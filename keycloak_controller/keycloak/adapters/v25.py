"""Keycloak 25.x: differences from 26.0 (on top of Keycloak260Adapter's).

Every rule cites docs/keycloak-api-differences.md (25.0.4 -> 26.0.7) or the
26.0 upgrade notes; tests/unit/keycloak/test_keycloak_adapters.py checks the
field tables against the pinned specs. Everything 26.1-26.7 added is missing
here too, through Keycloak260Adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from keycloak_controller.keycloak.adapters.base import Payload, merged_tables
from keycloak_controller.keycloak.adapters.findings import Finding
from keycloak_controller.keycloak.adapters.kinds import Kind
from keycloak_controller.keycloak.adapters.v26_0 import Keycloak260Adapter
from keycloak_controller.keycloak.transport import VerbatimBody

_REALM_26_0_FIELDS = {"bruteForceStrategy": "26.0"}

# Before 26 these identity-provider fields were config attributes (26.0
# upgrade notes: "kc.org" and "hideOnLoginPage" moved to fields). Checked on the
# servers: 24.0.5 and 25.0.6 answer 400 "Unrecognized field" to `hideOnLogin`
# although the 25.0.4 spec lists it; 26.0.7 drops a `hideOnLoginPage` config key.
IDP_FIELD_TO_CONFIG = {"hideOnLogin": "hideOnLoginPage", "organizationId": "kc.org"}


class Keycloak25Adapter(Keycloak260Adapter):
    ADDED_FIELDS: ClassVar[Mapping[Kind, Mapping[str, str]]] = merged_tables(
        Keycloak260Adapter.ADDED_FIELDS,
        {
            Kind.REALM: _REALM_26_0_FIELDS,
            Kind.PARTIAL_IMPORT: _REALM_26_0_FIELDS,
            Kind.ORGANIZATION: {"alias": "26.0", "redirectUrl": "26.0"},
        },
    )
    # Canonical fields that are not dropped but rewritten (see _outbound_one).
    CONVERTED_FIELDS: ClassVar[Mapping[Kind, frozenset[str]]] = {
        Kind.IDENTITY_PROVIDER: frozenset(IDP_FIELD_TO_CONFIG),
    }
    organizations_preview = True

    def organization_link_body(self, member_or_alias: str) -> Any:
        # 25's preview endpoints read the body as a raw string, so a JSON-quoted
        # id is looked up with its quotes ("User does not exist", "Identity
        # provider not found with the given alias").
        return VerbatimBody(member_or_alias)

    def _outbound_one(self, kind: Kind, payload: Payload) -> None:
        super()._outbound_one(kind, payload)
        if kind is Kind.IDENTITY_PROVIDER:
            config = dict(payload.get("config") or {})
            for field, attribute in IDP_FIELD_TO_CONFIG.items():
                value = payload.pop(field, None)
                if value is not None:
                    # Config values are strings on the wire ("true"/"false").
                    config[attribute] = str(value).lower() if isinstance(value, bool) else value
            if config:
                payload["config"] = config

    def _inbound_one(self, kind: Kind, payload: Payload) -> None:
        super()._inbound_one(kind, payload)
        if kind is Kind.REALM:
            # 26 no longer returns identity providers inside the realm (use
            # /identity-provider/instances); drop them so reads look the same on
            # every version and a realm diff never reports them.
            payload.pop("identityProviders", None)
            payload.pop("identityProviderMappers", None)
        if kind is Kind.IDENTITY_PROVIDER:
            config = payload.get("config")
            if isinstance(config, dict):
                hide = config.pop("hideOnLoginPage", None)
                if hide is not None:
                    payload["hideOnLogin"] = str(hide).lower() == "true"
                org = config.pop("kc.org", None)
                if org is not None:
                    payload["organizationId"] = org

    def _validate_extra(
        self, kind: Kind, payload: Mapping[str, Any], where: str, out: list[Finding]
    ) -> None:
        super()._validate_extra(kind, payload, where, out)
        if kind is Kind.IDENTITY_PROVIDER and payload.get("organizationId") is not None:
            out.extend(self._organization_findings(f"{where}organizationId"))
