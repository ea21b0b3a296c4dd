"""Adapter rules: checked against the pinned specs, and their behaviour."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from keycloak_controller.keycloak.adapters import (
    Keycloak24Adapter,
    Keycloak25Adapter,
    Keycloak26Adapter,
    Kind,
    Severity,
    VersionAdapter,
    adapter_for,
)
from keycloak_controller.keycloak.errors import UnsupportedByVersion

ROOT = Path(__file__).resolve().parents[3]
SPECS = {"24": "24.0.3", "25": "25.0.4", "26": "26.5.2"}
# Kinds whose schema is absent from an older spec entirely (handled as a feature).
WHOLE_KIND_MISSING = {("24", Kind.ORGANIZATION)}


def schema_fields(version: str) -> dict[str, set[str]]:
    spec = json.loads((ROOT / f"openapi/keycloak-{SPECS[version]}.json").read_text())
    return {
        name: set(body.get("properties", {}))
        for name, body in spec["components"]["schemas"].items()
    }


@pytest.mark.parametrize("major", ["24", "25"])
def test_missing_field_tables_match_the_specs_exactly(major: str) -> None:
    """Every canonical field absent from that version's spec is handled, and nothing else."""
    adapter = adapter_for(f"{major}.0.0")
    canonical, old = schema_fields("26"), schema_fields(major)
    for kind in Kind:
        if (major, kind) in WHOLE_KIND_MISSING:
            continue
        absent = canonical[kind.schema] - old[kind.schema]
        handled = set(adapter.MISSING_FIELDS.get(kind, {})) | set(
            adapter.CONVERTED_FIELDS.get(kind, frozenset())
        )
        assert handled == absent, (kind, sorted(handled ^ absent))


def test_adapter_selection_and_facts() -> None:
    assert type(adapter_for("24.0.5")) is Keycloak24Adapter
    assert type(adapter_for("25.0.6")) is Keycloak25Adapter
    assert type(adapter_for("26.5.2")) is Keycloak26Adapter
    assert type(adapter_for("27.0.0")) is Keycloak26Adapter
    with pytest.raises(UnsupportedByVersion):
        adapter_for("23.0.7")
    assert adapter_for("24.0.5").health_port(8080, 9000) == 8080
    assert adapter_for("25.0.6").health_port(8080, 9000) == 9000
    assert adapter_for("26.5.2").health_port(8080, 9000) == 9000


def test_canonical_adapter_is_identity() -> None:
    payload = {
        "realm": "r",
        "bruteForceStrategy": "LINEAR",
        "clients": [{"clientId": "a", "type": "x"}],
    }
    a = adapter_for("26.5.2")
    assert a.outbound(Kind.REALM, payload) == payload
    assert a.inbound(Kind.REALM, payload) == payload
    assert a.validate(Kind.REALM, payload) == []


def test_26_only_fields_are_dropped_with_warnings_on_25_and_24() -> None:
    payload = {
        "realm": "r",
        "bruteForceStrategy": "LINEAR",
        "groups": [
            {"name": "g", "description": "d", "subGroups": [{"name": "s", "description": "x"}]}
        ],
    }
    for version in ("25.0.6", "24.0.5"):
        a = adapter_for(version)
        out = a.outbound(Kind.REALM, payload)
        assert "bruteForceStrategy" not in out
        assert "description" not in out["groups"][0]
        assert "description" not in out["groups"][0]["subGroups"][0]
        findings = a.validate(Kind.REALM, payload)
        assert {f.field for f in findings} == {
            "bruteForceStrategy",
            "groups[0].description",
            "groups[0].subGroups[0].description",
        }
        assert all(
            f.severity is Severity.WARNING and f.reason == "FieldNotSupported" for f in findings
        )
    assert payload["groups"][0]["description"] == "d", "outbound works on a copy"


def test_identity_provider_fields_travel_as_config_before_26() -> None:
    a = adapter_for("25.0.6")
    out = a.outbound(
        Kind.IDENTITY_PROVIDER,
        {
            "alias": "x",
            "hideOnLogin": True,
            "organizationId": "o1",
            "types": ["a"],
            "config": {"k": "v"},
        },
    )
    assert out == {"alias": "x", "config": {"k": "v", "hideOnLoginPage": "true", "kc.org": "o1"}}
    back = a.inbound(Kind.IDENTITY_PROVIDER, out)
    assert back == {"alias": "x", "hideOnLogin": True, "organizationId": "o1", "config": {"k": "v"}}


def test_realm_reads_are_normalised_before_26() -> None:
    a = adapter_for("24.0.5")
    got = a.inbound(
        Kind.REALM,
        {"realm": "r", "identityProviders": [{"alias": "x"}], "oAuth2DeviceCodeLifespan": 600},
    )
    assert got == {"realm": "r", "oauth2DeviceCodeLifespan": 600}


def test_organizations_by_version() -> None:
    a24, a25, a26 = (adapter_for(v) for v in ("24.0.5", "25.0.6", "26.5.2"))
    with pytest.raises(UnsupportedByVersion):
        a24.require_organizations()
    a25.require_organizations()
    a26.require_organizations()
    assert [f.reason for f in a24.validate(Kind.ORGANIZATION, {"name": "o"})] == [
        "OrganizationsNotSupported"
    ]
    assert [f.reason for f in a25.validate(Kind.ORGANIZATION, {"name": "o"})] == [
        "OrganizationsPreview"
    ]
    assert a26.validate(Kind.ORGANIZATION, {"name": "o", "alias": "o"}) == []
    realm = {"realm": "r", "organizationsEnabled": True}
    errors = [f for f in a24.validate(Kind.REALM, realm) if f.severity is Severity.ERROR]
    assert [(f.reason, f.field) for f in errors] == [
        ("OrganizationsNotSupported", "organizationsEnabled")
    ]
    with pytest.raises(
        UnsupportedByVersion, match=r"organizations are not available in Keycloak 24\.0\.5"
    ):
        a24.require_valid(Kind.REALM, realm)
    assert "organizationsEnabled" not in a24.outbound(Kind.REALM, realm)


def test_findings_read_like_status_conditions() -> None:
    (finding,) = adapter_for("25.0.6").validate(Kind.GROUP, {"name": "g", "description": "d"})
    assert finding.reason[0].isupper() and " " not in finding.reason
    assert "GroupRepresentation.description" in finding.message and "25.0.6" in finding.message


def test_every_adapter_is_a_version_adapter() -> None:
    for cls in (Keycloak24Adapter, Keycloak25Adapter, Keycloak26Adapter):
        assert issubclass(cls, VersionAdapter)


def test_organization_link_body_is_a_json_string_on_26_and_verbatim_on_25() -> None:
    from keycloak_controller.keycloak.adapters import adapter_for
    from keycloak_controller.keycloak.transport import VerbatimBody
    from keycloak_controller.keycloak.version import ServerVersion

    on_26 = adapter_for(ServerVersion.parse("26.5.2")).organization_link_body("u-1")
    on_25 = adapter_for(ServerVersion.parse("25.0.6")).organization_link_body("u-1")
    assert on_26 == "u-1" and not isinstance(on_26, VerbatimBody)
    assert isinstance(on_25, VerbatimBody) and on_25 == "u-1"
