"""Keycloak 26.0-26.6: differences from the canonical 26.7 API.

From docs/keycloak-api-differences.md (26.0.7 -> 26.7.3) and the real 26.0.7
and 26.7.3 servers. The minor that introduced each field was read from the
crate specs between them (one release per minor, 26.1.1 to 26.6.2); only
26.0.7 is pinned and tested, so rules for 26.1-26.6 follow the specs alone.

- Canonical fields newer than the server are dropped outbound with a
  FieldNotSupported warning (26.0.7 answers 400 "Unrecognized field" to them).
- ClientPolicyRepresentation.mode (26.7): `DEFAULT` is what older servers do
  anyway, so it is dropped with a warning; `STRICT` (every condition must
  match) cannot be had there and is refused (UnsupportedByVersion).
- ClientPolicyCondition/ExecutorRepresentation.configuration: the specs before
  26.3 declare an array, 26.3+ an object. The servers send and accept an object
  on both sides (checked on 26.0.7: an array is refused with 500 "Cannot parse
  the JSON"), so outbound keeps the object; inbound, an array (what those specs
  promise) is folded into an object.
- RealmRepresentation.oAuth2DeviceCodeLifespan / oAuth2DevicePollingInterval:
  the specs before 26.4 list them beside oauth2DeviceCodeLifespan /
  oauth2DevicePollingInterval, which are the only spellings the servers send
  or accept (26.0.7: 400 "Unrecognized field" for the oAuth2 ones). Both ways,
  the oAuth2 spelling becomes the oauth2 one.
- Generated RSA key providers (rsa-generated, rsa-enc-generated) take a
  keySize of 3072 from 26.4 (keycloak/keycloak#41552); 24.0.5, 25.0.6 and
  26.0.7 answer 400 "'Key size' should be 1024, 2048 or 4096", so it is
  refused (UnsupportedByVersion) before it is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from keycloak_controller.keycloak.adapters.base import Keycloak26Adapter, Payload
from keycloak_controller.keycloak.adapters.findings import Finding, Severity
from keycloak_controller.keycloak.adapters.kinds import Kind
from keycloak_controller.keycloak.errors import KeycloakError

# Realm fields added after 26.0, with the minor that introduced them.
_REALM_FIELDS_SINCE_26_0 = {
    "adminPermissionsClient": "26.1",
    "adminPermissionsEnabled": "26.1",
    "verifiableCredentialsEnabled": "26.1",
    "webAuthnPolicyPasswordlessPasskeysEnabled": "26.3",
    "maxSecondaryAuthFailures": "26.6",
    "scimApiEnabled": "26.6",
    "webAuthnPolicyPasswordlessMediation": "26.7",
    "webAuthnPolicyPasswordlessResidentKey": "26.7",
    "webAuthnPolicyResidentKey": "26.7",
}

# The realm fields that specs before 26.4 spell twice; the servers know only
# the second spelling.
LEGACY_REALM_SPELLINGS = {
    "oAuth2DeviceCodeLifespan": "oauth2DeviceCodeLifespan",
    "oAuth2DevicePollingInterval": "oauth2DevicePollingInterval",
}
LEGACY_SPELLINGS_UNTIL = "26.4"

# The `configuration` of client policy conditions and profile executors: an
# array in the specs before 26.3, an object from 26.3.
CONFIGURATION_OBJECT_SINCE = "26.3"
CLIENT_POLICY_MODE_SINCE = "26.7"
RSA_KEY_SIZE_3072_SINCE = "26.4"
GENERATED_RSA_PROVIDERS = ("rsa-generated", "rsa-enc-generated")


class Keycloak260Adapter(Keycloak26Adapter):
    """Keycloak 26.0 to 26.6 (named after its oldest minor); rules gated by minor."""

    ADDED_FIELDS: ClassVar[Mapping[Kind, Mapping[str, str]]] = {
        Kind.REALM: _REALM_FIELDS_SINCE_26_0,
        Kind.PARTIAL_IMPORT: _REALM_FIELDS_SINCE_26_0,
        Kind.CREDENTIAL: {"federationLink": "26.2"},
        Kind.GROUP: {"description": "26.3"},
        Kind.IDENTITY_PROVIDER: {"types": "26.5"},
        Kind.ORGANIZATION: {"groups": "26.6"},
        Kind.USER: {"issuedVerifiableCredentials": "26.7", "verifiableCredentials": "26.7"},
        Kind.CLIENT_POLICY: {"mode": CLIENT_POLICY_MODE_SINCE},
    }
    # Canonical fields whose type differs in older specs, with the version from
    # which the canonical type holds (converted, not dropped).
    RETYPED_FIELDS: ClassVar[Mapping[Kind, Mapping[str, str]]] = {
        Kind.CLIENT_POLICY_CONDITION: {"configuration": CONFIGURATION_OBJECT_SINCE},
        Kind.CLIENT_POLICY_EXECUTOR: {"configuration": CONFIGURATION_OBJECT_SINCE},
    }

    def _outbound_one(self, kind: Kind, payload: Payload) -> None:
        super()._outbound_one(kind, payload)
        if kind in (Kind.REALM, Kind.PARTIAL_IMPORT) and self.older_than(LEGACY_SPELLINGS_UNTIL):
            _fold_legacy_spellings(payload)

    def _inbound_one(self, kind: Kind, payload: Payload) -> None:
        super()._inbound_one(kind, payload)
        if kind is Kind.REALM and self.older_than(LEGACY_SPELLINGS_UNTIL):
            _fold_legacy_spellings(payload)
        if (
            kind in (Kind.CLIENT_POLICY_CONDITION, Kind.CLIENT_POLICY_EXECUTOR)
            and self.older_than(CONFIGURATION_OBJECT_SINCE)
            and isinstance(payload.get("configuration"), list)
        ):
            payload["configuration"] = configuration_object(payload["configuration"])

    def _validate_extra(
        self, kind: Kind, payload: Mapping[str, Any], where: str, out: list[Finding]
    ) -> None:
        super()._validate_extra(kind, payload, where, out)
        if kind is Kind.COMPONENT:
            _validate_rsa_key_size(self, payload, where, out)
        mode = payload.get("mode")
        if (
            kind is Kind.CLIENT_POLICY
            and self.older_than(CLIENT_POLICY_MODE_SINCE)
            and mode is not None
            and str(mode).upper() != "DEFAULT"
        ):
            out.append(
                Finding(
                    Severity.ERROR,
                    "ClientPolicyModeNotSupported",
                    f"client policy {payload.get('name')!r} asks for mode {mode}, which Keycloak "
                    f"{self.version} does not have (added in {CLIENT_POLICY_MODE_SINCE}; older "
                    "servers evaluate every policy in the DEFAULT mode)",
                    field=f"{where}mode",
                )
            )


def _validate_rsa_key_size(
    adapter: Keycloak260Adapter, payload: Mapping[str, Any], where: str, out: list[Finding]
) -> None:
    sizes = (payload.get("config") or {}).get("keySize") or []
    if (
        payload.get("providerId") in GENERATED_RSA_PROVIDERS
        and "3072" in sizes
        and adapter.older_than(RSA_KEY_SIZE_3072_SINCE)
    ):
        out.append(
            Finding(
                Severity.ERROR,
                "RsaKeySizeNotSupported",
                f"key provider {payload.get('name')!r} asks for a 3072-bit RSA key, which "
                f"Keycloak {adapter.version} does not generate (added in "
                f"{RSA_KEY_SIZE_3072_SINCE}; older servers take 1024, 2048 or 4096)",
                field=f"{where}config.keySize",
            )
        )


def _fold_legacy_spellings(payload: Payload) -> None:
    for legacy, canonical in LEGACY_REALM_SPELLINGS.items():
        value = payload.pop(legacy, None)
        if value is not None and payload.get(canonical) is None:
            payload[canonical] = value


def configuration_object(configuration: list[Any]) -> dict[str, Any]:
    """An array-typed configuration as the object the canonical model holds.

    An empty array is an empty object; an array of objects is merged in order.
    """
    merged: dict[str, Any] = {}
    for item in configuration:
        if not isinstance(item, Mapping):
            raise KeycloakError(
                f"a client policy configuration array holds a {type(item).__name__}, not an object"
            )
        merged.update(item)
    return merged
