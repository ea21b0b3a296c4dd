"""The version adapters against the real servers: what each break looks like on the wire.

Every test runs on every pinned Keycloak. On the servers a rule adapts, the
adapted call must succeed (or be refused before anything is sent) where the
raw canonical payload is rejected; on the others the payload goes as it is.
"""

from __future__ import annotations

import pytest

from keycloak_controller.keycloak.adapters import Kind, Severity
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.errors import BadRequest, UnsupportedByVersion
from keycloak_controller.keycloak.models import (
    ClientPoliciesRepresentation,
    ClientPolicyConditionRepresentation,
    ClientPolicyExecutorRepresentation,
    ClientPolicyRepresentation,
    ClientProfileRepresentation,
    ClientProfilesRepresentation,
    GroupRepresentation,
    RealmRepresentation,
)
from keycloak_controller.keycloak.resources.base import to_json
from keycloak_controller.keycloak.version import ServerVersion

pytestmark = pytest.mark.keycloak_versions

SINCE_26_0 = ServerVersion(26, 0)
SINCE_26_3 = ServerVersion(26, 3)
SINCE_26_7 = ServerVersion(26, 7)


def test_realm_fields_newer_than_the_server_are_dropped_with_a_warning_not_a_400(
    admin_any: KeycloakAdmin, realm_any: str
) -> None:
    # Fields from 26.1, 26.3 and 26.6; values that change nothing where they exist.
    realm = RealmRepresentation(
        realm=realm_any,
        display_name="adapted",
        verifiable_credentials_enabled=False,
        web_authn_policy_passwordless_passkeys_enabled=False,
        max_secondary_auth_failures=0,
    )
    payload = to_json(realm)
    dropped = {
        f.field
        for f in admin_any.adapter.validate(Kind.REALM, payload)
        if f.reason == "FieldNotSupported" and f.severity is Severity.WARNING
    }
    admin_any.realms.update(realm_any, realm)
    got = admin_any.realms.get(realm_any)
    assert got.display_name == "adapted"
    if admin_any.version >= SINCE_26_7:
        assert dropped == set()
        assert got.verifiable_credentials_enabled is False
    else:
        assert {"verifiableCredentialsEnabled", "maxSecondaryAuthFailures"} <= dropped
        # What the adapter prevents: the same body sent as it is.
        with pytest.raises(BadRequest, match="Unrecognized field"):
            admin_any.transport.request("PUT", f"/admin/realms/{realm_any}", json=payload)


def test_group_description_is_sent_from_26_3_and_dropped_before(
    admin_any: KeycloakAdmin, realm_any: str
) -> None:
    group_id = admin_any.groups.create(
        realm_any, GroupRepresentation(name="described", description="a group")
    )
    got = admin_any.groups.get(realm_any, group_id)
    assert got.name == "described"
    if admin_any.version >= SINCE_26_3:
        assert got.description == "a group"
    else:
        assert got.description is None
        with pytest.raises(BadRequest, match="Unrecognized field"):
            admin_any.transport.request(
                "POST",
                f"/admin/realms/{realm_any}/groups",
                json={"name": "raw", "description": "a group"},
            )


def test_client_profile_configuration_is_an_object_on_every_version(
    admin_any: KeycloakAdmin, realm_any: str
) -> None:
    """The pre-26.3 specs call `configuration` an array; every server sends an object."""
    configuration = {
        "allowed-client-authenticators": ["client-secret-jwt"],
        "default-client-authenticator": "client-secret-jwt",
    }
    profiles = ClientProfilesRepresentation(
        profiles=[
            ClientProfileRepresentation(
                name="jwt-only",
                description="signed JWT client authentication",
                executors=[
                    ClientPolicyExecutorRepresentation(
                        executor="secure-client-authenticator", configuration=configuration
                    )
                ],
            )
        ]
    )
    admin_any.realms.update_client_profiles(realm_any, profiles)
    got = admin_any.realms.client_profiles(realm_any)
    (profile,) = got.profiles or []
    (executor,) = profile.executors or []
    assert executor.configuration == configuration
    everything = admin_any.realms.client_profiles(realm_any, include_global=True)
    assert everything.global_profiles, "the built-in FAPI profiles"
    assert all(
        isinstance(e.configuration, dict)
        for p in everything.global_profiles
        for e in p.executors or []
    )

    policies = ClientPoliciesRepresentation(
        policies=[
            ClientPolicyRepresentation(
                name="confidential-jwt",
                enabled=True,
                conditions=[
                    ClientPolicyConditionRepresentation(
                        condition="client-access-type", configuration={"type": ["confidential"]}
                    )
                ],
                profiles=["jwt-only"],
            )
        ]
    )
    admin_any.realms.update_client_policies(realm_any, policies)
    (policy,) = admin_any.realms.client_policies(realm_any).policies or []
    (condition,) = policy.conditions or []
    assert condition.configuration == {"type": ["confidential"]}
    assert policy.profiles == ["jwt-only"]


def test_client_policy_mode_strict_needs_26_7(admin_any: KeycloakAdmin, realm_any: str) -> None:
    def policies(mode: str) -> ClientPoliciesRepresentation:
        return ClientPoliciesRepresentation(
            policies=[
                ClientPolicyRepresentation(
                    name=f"{mode.lower()}-policy",
                    enabled=False,
                    mode=mode,
                    conditions=[
                        ClientPolicyConditionRepresentation(
                            condition="client-access-type", configuration={"type": ["public"]}
                        )
                    ],
                    profiles=[],
                )
            ]
        )

    # DEFAULT is what every version does: dropped before 26.7, sent from it.
    admin_any.realms.update_client_policies(realm_any, policies("DEFAULT"))
    (got,) = admin_any.realms.client_policies(realm_any).policies or []
    assert got.name == "default-policy"

    strict = policies("STRICT")
    if admin_any.version >= SINCE_26_7:
        admin_any.realms.update_client_policies(realm_any, strict)
        (got,) = admin_any.realms.client_policies(realm_any).policies or []
        assert got.mode == "STRICT"
        return
    sent = admin_any.transport.requests_sent
    with pytest.raises(UnsupportedByVersion, match=r"mode STRICT.*added in 26\.7"):
        admin_any.realms.update_client_policies(realm_any, strict)
    assert admin_any.transport.requests_sent == sent, "refused without contacting Keycloak"
    (got,) = admin_any.realms.client_policies(realm_any).policies or []
    assert got.name == "default-policy", "nothing changed"


def test_device_code_settings_use_the_one_spelling_servers_know(
    admin_any: KeycloakAdmin, realm_any: str
) -> None:
    admin_any.realms.update(
        realm_any,
        RealmRepresentation(
            realm=realm_any, oauth2_device_code_lifespan=700, oauth2_device_polling_interval=7
        ),
    )
    got = admin_any.realms.get(realm_any)
    assert (got.oauth2_device_code_lifespan, got.oauth2_device_polling_interval) == (700, 7)
    dumped = to_json(got)
    assert "oAuth2DeviceCodeLifespan" not in dumped and "oAuth2DevicePollingInterval" not in dumped
    if admin_any.version >= ServerVersion(26, 4):
        return
    # Specs before 26.4 also list an oAuth2Device* spelling; the servers refuse it
    # (400), so the adapter sends it under the real name.
    legacy = RealmRepresentation.model_validate(
        {"realm": realm_any, "oAuth2DeviceCodeLifespan": 800, "oAuth2DevicePollingInterval": 8}
    )
    with pytest.raises(BadRequest, match="Unrecognized field"):
        admin_any.transport.request("PUT", f"/admin/realms/{realm_any}", json=to_json(legacy))
    admin_any.realms.update(realm_any, legacy)
    got = admin_any.realms.get(realm_any)
    assert (got.oauth2_device_code_lifespan, got.oauth2_device_polling_interval) == (800, 8)


def test_the_adapter_matches_the_servers_line(admin_any: KeycloakAdmin) -> None:
    name = type(admin_any.adapter).__name__
    version = admin_any.version
    if version >= SINCE_26_7:
        assert name == "Keycloak26Adapter"
    elif version >= SINCE_26_0:
        assert name == "Keycloak260Adapter"
    else:
        assert name == f"Keycloak{version.major}Adapter"
