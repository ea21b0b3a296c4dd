"""The version adapter interface, implemented for the canonical version.

The client speaks only the canonical model (generated from the canonical
spec, Keycloak 26.7.3). An adapter sits between that model and one server
version:
- `outbound` turns a canonical JSON payload into what that server accepts,
- `inbound` turns what that server returns into the canonical shape,
- `validate` says, before anything is sent, what will be degraded (warnings)
  or cannot work at all (errors) on that version.
All version-specific rules live in the adapter subclasses (v26_0, v25, v24),
written from docs/keycloak-api-differences.md and checked against the real
servers; this base is the canonical (26.7+) case. Field tables name the
Keycloak version that introduced each field, so one adapter can serve several
minors: a field is missing on a server older than that version.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

from keycloak_controller.keycloak.adapters.findings import Finding, Severity, errors
from keycloak_controller.keycloak.adapters.kinds import NESTED, NESTED_MAPS, Kind
from keycloak_controller.keycloak.errors import UnsupportedByVersion
from keycloak_controller.keycloak.version import ServerVersion

Payload = dict[str, Any]


def merged_tables(*tables: Mapping[Kind, Mapping[str, str]]) -> dict[Kind, dict[str, str]]:
    """Field tables combined, later ones winning."""
    out: dict[Kind, dict[str, str]] = {}
    for table in tables:
        for kind, fields in table.items():
            out.setdefault(kind, {}).update(fields)
    return out


class VersionAdapter:
    # JSON fields of the canonical model, per kind, with the Keycloak version
    # that introduced them ("26.3"). Those newer than the server are its
    # MISSING_FIELDS.
    ADDED_FIELDS: ClassVar[Mapping[Kind, Mapping[str, str]]] = {}
    # JSON fields of the canonical model that this server's API does not know,
    # per kind, with the version that introduced them. Outbound drops them (with
    # a warning from validate) instead of letting the server reject them (400
    # "Unrecognized field") or silently ignore them.
    MISSING_FIELDS: Mapping[Kind, Mapping[str, str]]
    # Canonical fields this version knows under another shape (rewritten, not dropped).
    CONVERTED_FIELDS: ClassVar[Mapping[Kind, frozenset[str]]] = {}
    supports_organizations: ClassVar[bool] = True
    # Organizations exist but sit behind the `organization` preview feature.
    organizations_preview: ClassVar[bool] = False
    # Health and metrics are on the management port (9000) from 25 on.
    health_on_management_port: ClassVar[bool] = True

    def __init__(self, version: ServerVersion) -> None:
        self.version = version
        self.MISSING_FIELDS = {
            kind: missing
            for kind, fields in self.ADDED_FIELDS.items()
            if (missing := {f: since for f, since in fields.items() if self.older_than(since)})
        }

    def older_than(self, version: str) -> bool:
        """Whether this server predates `version` ("26.3" or "26.3.1")."""
        return self.version < ServerVersion.parse(version)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.version})"

    # -- facts ---------------------------------------------------------------

    def health_port(self, http_port: int = 8080, management_port: int = 9000) -> int:
        return management_port if self.health_on_management_port else http_port

    # Running the server (managed mode).

    @property
    def bootstrap_admin_env(self) -> tuple[str, str]:
        """The variables that create the first admin; 26 renamed them."""
        if self.older_than("26.0"):
            return "KEYCLOAK_ADMIN", "KEYCLOAK_ADMIN_PASSWORD"
        return "KC_BOOTSTRAP_ADMIN_USERNAME", "KC_BOOTSTRAP_ADMIN_PASSWORD"

    @property
    def hostname_v2(self) -> bool:
        """Hostname v2 options (hostname as a URL, backchannel-dynamic) from 25 on."""
        return not self.older_than("25.0")

    @property
    def cluster_discovery_needs_dns(self) -> bool:
        """Before 26.1 the cache cluster finds its pods by DNS (the `kubernetes` stack);
        26.1 made jdbc-ping, through the database, the default."""
        return self.older_than("26.1")

    # -- validation ----------------------------------------------------------

    def validate(self, kind: Kind, payload: Mapping[str, Any]) -> list[Finding]:
        findings: list[Finding] = []
        self._validate_tree(kind, payload, "", findings)
        return findings

    def require_valid(self, kind: Kind, payload: Mapping[str, Any]) -> list[Finding]:
        """Validate; raise UnsupportedByVersion on errors, else return the warnings."""
        findings = self.validate(kind, payload)
        bad = errors(findings)
        if bad:
            raise UnsupportedByVersion("; ".join(f.message for f in bad))
        return findings

    def organization_link_body(self, member_or_alias: str) -> Any:
        """The body that links a member or an identity provider to an organization.

        26 takes the user id or provider alias as a JSON string.
        """
        return member_or_alias

    def require_organizations(self) -> None:
        if not self.supports_organizations:
            raise UnsupportedByVersion(self._no_organizations_message())

    def _validate_tree(
        self, kind: Kind, payload: Mapping[str, Any], where: str, out: list[Finding]
    ) -> None:
        self._validate_one(kind, payload, where, out)
        for key, child_kind in NESTED.get(kind, {}).items():
            children = payload.get(key)
            if isinstance(children, Mapping):
                self._validate_tree(child_kind, children, f"{where}{key}.", out)
            elif isinstance(children, list):
                for i, child in enumerate(children):
                    if isinstance(child, Mapping):
                        self._validate_tree(child_kind, child, f"{where}{key}[{i}].", out)
        for key, child_kind in NESTED_MAPS.get(kind, {}).items():
            children = payload.get(key)
            if isinstance(children, Mapping):
                for name, child in children.items():
                    if isinstance(child, Mapping):
                        self._validate_tree(child_kind, child, f"{where}{key}.{name}.", out)

    def _validate_one(
        self, kind: Kind, payload: Mapping[str, Any], where: str, out: list[Finding]
    ) -> None:
        if kind is Kind.ORGANIZATION:
            out.extend(self._organization_findings(f"{where}".rstrip(".") or None))
        for name, since in self.MISSING_FIELDS.get(kind, {}).items():
            if payload.get(name) is not None:
                out.append(
                    Finding(
                        Severity.WARNING,
                        "FieldNotSupported",
                        f"{kind.schema}.{name} is not available in Keycloak {self.version} "
                        f"(added in {since}); it is not sent",
                        field=f"{where}{name}",
                    )
                )
        self._validate_extra(kind, payload, where, out)

    def _validate_extra(
        self, kind: Kind, payload: Mapping[str, Any], where: str, out: list[Finding]
    ) -> None:
        """Version-specific checks beyond missing fields (subclasses)."""

    def _organization_findings(self, field: str | None) -> list[Finding]:
        if not self.supports_organizations:
            return [
                Finding(
                    Severity.ERROR,
                    "OrganizationsNotSupported",
                    self._no_organizations_message(),
                    field=field,
                )
            ]
        if self.organizations_preview:
            return [
                Finding(
                    Severity.WARNING,
                    "OrganizationsPreview",
                    f"organizations are a preview feature in Keycloak {self.version}; the "
                    "server must run with --features=organization",
                    field=field,
                )
            ]
        return []

    def _no_organizations_message(self) -> str:
        return (
            f"organizations are not available in Keycloak {self.version} "
            "(preview in 25, generally available from 26)"
        )

    # -- conversion ----------------------------------------------------------

    def outbound(self, kind: Kind, payload: Mapping[str, Any]) -> Payload:
        """Canonical JSON -> what this server accepts (a converted copy)."""
        return self._convert(kind, copy_json(payload), outbound=True)

    def inbound(self, kind: Kind, payload: Mapping[str, Any]) -> Payload:
        """What this server returned -> canonical JSON (a converted copy)."""
        return self._convert(kind, copy_json(payload), outbound=False)

    def _convert(self, kind: Kind, payload: Payload, *, outbound: bool) -> Payload:
        for key, child_kind in NESTED.get(kind, {}).items():
            children = payload.get(key)
            if isinstance(children, dict):
                payload[key] = self._convert(child_kind, children, outbound=outbound)
            elif isinstance(children, list):
                payload[key] = [
                    self._convert(child_kind, c, outbound=outbound) if isinstance(c, dict) else c
                    for c in children
                ]
        for key, child_kind in NESTED_MAPS.get(kind, {}).items():
            children = payload.get(key)
            if isinstance(children, dict):
                payload[key] = {
                    name: self._convert(child_kind, c, outbound=outbound)
                    if isinstance(c, dict)
                    else c
                    for name, c in children.items()
                }
        if outbound:
            self._outbound_one(kind, payload)
            for name in self.MISSING_FIELDS.get(kind, {}):
                payload.pop(name, None)
        else:
            self._inbound_one(kind, payload)
        return payload

    def _outbound_one(self, kind: Kind, payload: Payload) -> None:
        """Version-specific outbound rewrites of one representation (subclasses)."""

    def _inbound_one(self, kind: Kind, payload: Payload) -> None:
        """Version-specific inbound rewrites of one representation (subclasses)."""


def copy_json(payload: Mapping[str, Any]) -> Payload:
    """A deep copy of a JSON document (dicts, lists, scalars), about four times faster
    than `copy.deepcopy` (a typical client: 150 -> 40 us): every representation read
    from or sent to Keycloak is copied here, a realm's whole client list per wave."""
    return {key: _copy_value(value) for key, value in payload.items()}


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def _copy_value(value: Any) -> Any:
    kind = type(value)  # exact types: decoded JSON has no subclasses
    if kind is dict:
        return {key: _copy_value(item) for key, item in value.items()}
    if kind is list:
        return [_copy_value(item) for item in value]
    if kind in _JSON_SCALARS:
        return value
    return copy.deepcopy(value)  # not plain JSON (a caller's own object): copied as before


class Keycloak26Adapter(VersionAdapter):
    """26.7+ (and newer majors): the canonical version; payloads pass through unchanged."""
