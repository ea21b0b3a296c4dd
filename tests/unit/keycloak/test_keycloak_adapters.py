"""Adapter rules: checked against the pinned specs, and their behaviour."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from keycloak_controller.keycloak.adapters import (
    Keycloak24Adapter,
    Keycloak25Adapter,
    Keycloak26Adapter,
    Keycloak260Adapter,
    Kind,
    Severity,
    VersionAdapter,
    adapter_for,
)
from keycloak_controller.keycloak.errors import KeycloakError, UnsupportedByVersion

ROOT = Path(__file__).resolve().parents[3]
CANONICAL = "26.7.3"
# The pinned spec of each adapted line (openapi/manifest.json).
SPECS = {"24.0.5": "24.0.3", "25.0.6": "25.0.4", "26.0.7": "26.0.7", CANONICAL: CANONICAL}
# Kinds whose schema is absent from an older spec entirely (handled as a feature).
WHOLE_KIND_MISSING = {("24.0.5", Kind.ORGANIZATION)}


def schema_properties(spec_version: str) -> dict[str, dict[str, object]]:
    spec = json.loads((ROOT / f"openapi/keycloak-{spec_version}.json").read_text())
    return {
        name: body.get("properties", {}) for name, body in spec["components"]["schemas"].items()
    }


def schema_fields(server: str) -> dict[str, set[str]]:
    return {name: set(props) for name, props in schema_properties(SPECS[server]).items()}


@pytest.mark.parametrize("server", ["24.0.5", "25.0.6", "26.0.7"])
def test_missing_field_tables_match_the_specs_exactly(server: str) -> None:
    """Every canonical field absent from that version's spec is handled, and nothing else."""
    adapter = adapter_for(server)
    canonical, old = schema_fields(CANONICAL), schema_fields(server)
    for kind in Kind:
        if (server, kind) in WHOLE_KIND_MISSING:
            continue
        absent = canonical[kind.schema] - old[kind.schema]
        handled = set(adapter.MISSING_FIELDS.get(kind, {})) | set(
            adapter.CONVERTED_FIELDS.get(kind, frozenset())
        )
        assert handled == absent, (kind, sorted(handled ^ absent))


def test_retyped_fields_are_the_type_changes_of_the_26_0_spec() -> None:
    """Fields whose type the 26.0.7 spec declares differently are exactly those converted."""
    canonical, old = schema_properties(CANONICAL), schema_properties("26.0.7")
    changed = {
        (kind, name)
        for kind in Kind
        for name in canonical[kind.schema].keys() & old[kind.schema].keys()
        if canonical[kind.schema][name].get("type") != old[kind.schema][name].get("type")
    }
    declared = {
        (kind, name)
        for kind, fields in Keycloak260Adapter.RETYPED_FIELDS.items()
        for name in fields
    }
    assert changed == declared


def test_adapter_selection_by_major_and_minor() -> None:
    assert type(adapter_for("24.0.5")) is Keycloak24Adapter
    assert type(adapter_for("25.0.6")) is Keycloak25Adapter
    for version in ("26.0.0", "26.0.7", "26.2.3", "26.3.0", "26.5.0", "26.6.9"):
        assert type(adapter_for(version)) is Keycloak260Adapter, version
    for version in ("26.7.0", CANONICAL, "26.8.1", "27.0.0"):
        assert type(adapter_for(version)) is Keycloak26Adapter, version
    with pytest.raises(UnsupportedByVersion):
        adapter_for("23.0.7")
    assert adapter_for("24.0.5").health_port(8080, 9000) == 8080
    assert adapter_for("25.0.6").health_port(8080, 9000) == 9000
    assert adapter_for("26.0.7").health_port(8080, 9000) == 9000
    assert adapter_for(CANONICAL).health_port(8080, 9000) == 9000


def test_missing_fields_follow_the_minor_inside_26() -> None:
    def realm_missing(version: str) -> set[str]:
        return set(adapter_for(version).MISSING_FIELDS.get(Kind.REALM, {}))

    assert {"adminPermissionsEnabled", "webAuthnPolicyPasswordlessPasskeysEnabled"} <= (
        realm_missing("26.0.7")
    )
    assert "adminPermissionsEnabled" not in realm_missing("26.1.0")
    assert "webAuthnPolicyPasswordlessPasskeysEnabled" in realm_missing("26.2.9")
    assert "webAuthnPolicyPasswordlessPasskeysEnabled" not in realm_missing("26.3.0")
    assert realm_missing("26.6.2") == {
        "webAuthnPolicyPasswordlessMediation",
        "webAuthnPolicyPasswordlessResidentKey",
        "webAuthnPolicyResidentKey",
    }
    assert adapter_for(CANONICAL).MISSING_FIELDS == {}
    assert "description" in adapter_for("26.2.3").MISSING_FIELDS[Kind.GROUP]
    assert Kind.GROUP not in adapter_for("26.3.0").MISSING_FIELDS


def test_canonical_adapter_is_identity() -> None:
    payload = {
        "realm": "r",
        "bruteForceStrategy": "LINEAR",
        "adminPermissionsEnabled": True,
        "oauth2DeviceCodeLifespan": 600,
        "clients": [{"clientId": "a", "type": "x"}],
        "clientPolicies": {
            "policies": [{"name": "p", "mode": "STRICT", "conditions": [{"configuration": {}}]}]
        },
    }
    a = adapter_for(CANONICAL)
    assert a.outbound(Kind.REALM, payload) == payload
    assert a.inbound(Kind.REALM, payload) == payload
    assert a.validate(Kind.REALM, payload) == []


def test_fields_added_since_26_0_are_dropped_with_warnings_on_26_0() -> None:
    payload = {
        "realm": "r",
        "displayName": "R",
        "bruteForceStrategy": "LINEAR",  # in 26.0 already
        "adminPermissionsEnabled": True,
        "scimApiEnabled": False,
        "webAuthnPolicyResidentKey": "not specified",
        "groups": [{"name": "g", "description": "d"}],
    }
    a = adapter_for("26.0.7")
    out = a.outbound(Kind.REALM, payload)
    assert out == {
        "realm": "r",
        "displayName": "R",
        "bruteForceStrategy": "LINEAR",
        "groups": [{"name": "g"}],
    }
    findings = a.validate(Kind.REALM, payload)
    assert {f.field for f in findings} == {
        "adminPermissionsEnabled",
        "scimApiEnabled",
        "webAuthnPolicyResidentKey",
        "groups[0].description",
    }
    assert all(f.severity is Severity.WARNING for f in findings)
    assert "added in 26.1" in next(
        f.message for f in findings if f.field == "adminPermissionsEnabled"
    )
    # The canonical side of the same break: everything is sent.
    assert adapter_for(CANONICAL).outbound(Kind.REALM, payload) == payload


def test_client_policy_mode_is_dropped_or_refused_before_26_7() -> None:
    policies = {
        "policies": [
            {"name": "lenient", "mode": "DEFAULT", "conditions": []},
            {"name": "plain", "conditions": []},
        ]
    }
    old = adapter_for("26.0.7")
    out = old.outbound(Kind.CLIENT_POLICIES, policies)
    assert [p.get("mode") for p in out["policies"]] == [None, None]
    assert [(f.reason, f.field) for f in old.validate(Kind.CLIENT_POLICIES, policies)] == [
        ("FieldNotSupported", "policies[0].mode")
    ]
    strict = {"policies": [{"name": "tight", "mode": "STRICT"}]}
    with pytest.raises(UnsupportedByVersion, match=r"mode STRICT.*26\.0\.7.*added in 26\.7"):
        old.require_valid(Kind.CLIENT_POLICIES, strict)
    # Nested in a realm too, and on 25 and 24 through inheritance.
    realm = {"realm": "r", "clientPolicies": strict}
    for version in ("26.6.2", "25.0.6", "24.0.5"):
        with pytest.raises(UnsupportedByVersion):
            adapter_for(version).require_valid(Kind.REALM, realm)
    new = adapter_for(CANONICAL)
    assert new.require_valid(Kind.REALM, realm) == []
    assert new.outbound(Kind.CLIENT_POLICIES, strict) == strict


def test_client_policy_configuration_arrays_become_objects_before_26_3() -> None:
    as_26_0_spec = {
        "policies": [
            {
                "name": "p",
                "conditions": [
                    {"condition": "client-access-type", "configuration": []},
                    {"condition": "client-roles", "configuration": [{"roles": ["a"]}]},
                ],
            }
        ]
    }
    got = adapter_for("26.2.3").inbound(Kind.CLIENT_POLICIES, as_26_0_spec)
    assert [c["configuration"] for c in got["policies"][0]["conditions"]] == [{}, {"roles": ["a"]}]
    profiles = {"profiles": [{"name": "x", "executors": [{"executor": "e", "configuration": []}]}]}
    got = adapter_for("26.0.7").inbound(Kind.REALM, {"realm": "r", "clientProfiles": profiles})
    assert got["clientProfiles"]["profiles"][0]["executors"][0]["configuration"] == {}
    with pytest.raises(KeycloakError, match="not an object"):
        adapter_for("26.0.7").inbound(
            Kind.CLIENT_PROFILE, {"executors": [{"configuration": ["x"]}]}
        )
    # Objects, what the servers really send and accept, pass both ways on both sides.
    as_objects = {"policies": [{"name": "p", "conditions": [{"configuration": {"type": ["x"]}}]}]}
    for version in ("26.0.7", "26.3.0", CANONICAL):
        a = adapter_for(version)
        assert a.outbound(Kind.CLIENT_POLICIES, as_objects) == as_objects
        assert a.inbound(Kind.CLIENT_POLICIES, as_objects) == as_objects
    # From 26.3 on the spec says object too; nothing is rewritten.
    assert adapter_for("26.3.0").inbound(Kind.CLIENT_POLICIES, as_26_0_spec) == as_26_0_spec


def test_legacy_device_code_spellings_become_the_real_ones_before_26_4() -> None:
    legacy = {"realm": "r", "oAuth2DeviceCodeLifespan": 700, "oAuth2DevicePollingInterval": 9}
    real = {"realm": "r", "oauth2DeviceCodeLifespan": 700, "oauth2DevicePollingInterval": 9}
    for version in ("24.0.5", "25.0.6", "26.0.7", "26.3.2"):
        a = adapter_for(version)
        assert a.outbound(Kind.REALM, legacy) == real, version
        assert a.inbound(Kind.REALM, legacy) == real, version
        assert a.outbound(Kind.REALM, real) == real
        # Both spellings: the real one wins.
        both = {**legacy, "oauth2DeviceCodeLifespan": 600}
        assert a.inbound(Kind.REALM, both)["oauth2DeviceCodeLifespan"] == 600
    for version in ("26.4.0", CANONICAL):
        a = adapter_for(version)
        assert a.outbound(Kind.REALM, real) == real
        assert a.inbound(Kind.REALM, real) == real


def test_role_mappings_are_converted_role_by_role() -> None:
    class Tagging(Keycloak26Adapter):
        def _inbound_one(self, kind: Kind, payload: dict[str, object]) -> None:
            if kind is Kind.ROLE:
                payload["description"] = "seen"

    from keycloak_controller.keycloak.version import ServerVersion

    got = Tagging(ServerVersion.parse(CANONICAL)).inbound(
        Kind.ROLE_MAPPINGS,
        {
            "realmMappings": [{"name": "a"}],
            "clientMappings": {"svc": {"client": "svc", "mappings": [{"name": "b"}]}},
        },
    )
    assert got["realmMappings"] == [{"name": "a", "description": "seen"}]
    assert got["clientMappings"]["svc"]["mappings"] == [{"name": "b", "description": "seen"}]


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
    a24, a25, a26 = (adapter_for(v) for v in ("24.0.5", "25.0.6", CANONICAL))
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
    for cls in (Keycloak24Adapter, Keycloak25Adapter, Keycloak260Adapter, Keycloak26Adapter):
        assert issubclass(cls, VersionAdapter)


def test_organization_link_body_is_a_json_string_on_26_and_verbatim_on_25() -> None:
    from keycloak_controller.keycloak.adapters import adapter_for
    from keycloak_controller.keycloak.transport import VerbatimBody
    from keycloak_controller.keycloak.version import ServerVersion

    on_26 = adapter_for(ServerVersion.parse("26.0.7")).organization_link_body("u-1")
    on_25 = adapter_for(ServerVersion.parse("25.0.6")).organization_link_body("u-1")
    assert on_26 == "u-1" and not isinstance(on_26, VerbatimBody)
    assert isinstance(on_25, VerbatimBody) and on_25 == "u-1"


def test_copy_json_is_a_deep_copy_and_falls_back_for_other_objects() -> None:
    from keycloak_controller.keycloak.adapters.base import copy_json

    doc = {
        "a": {"b": [1, 2.5, {"c": None, "d": True}], "e": "s"},
        "list": [[1], {"x": []}],
        "other": (1, [2]),
    }
    copied = copy_json(doc)
    assert copied == doc
    assert copied["a"] is not doc["a"] and copied["a"]["b"] is not doc["a"]["b"]
    assert copied["a"]["b"][2] is not doc["a"]["b"][2]
    assert copied["list"][0] is not doc["list"][0]
    assert copied["other"][1] is not doc["other"][1]  # a tuple goes through deepcopy
    copied["a"]["b"][2]["c"] = "changed"
    assert doc["a"]["b"][2]["c"] is None
