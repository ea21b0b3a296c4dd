"""KeycloakUser: wire form, defaults, schema rules, removal policies and the password digest."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from keycloak_controller.api import KINDS, CustomResource, KeycloakUser, PasswordMode
from keycloak_controller.api.common import ManagementPolicy
from keycloak_controller.api.crd import crd
from keycloak_controller.api.user import (
    PASSWORD_DIGEST_ITERATIONS,
    PasswordStatus,
    password_digest,
    password_digest_matches,
    password_salt,
)


def user_object(**spec: Any) -> dict[str, Any]:
    """A KeycloakUser as a user writes it (before apiserver defaulting)."""
    return {
        "apiVersion": "keycloak-controller.dev/v1alpha1",
        "kind": "KeycloakUser",
        "metadata": {"name": "alice", "namespace": "team-a", "uid": "u-1", "generation": 1},
        "spec": {"realmRef": {"name": "demo"}, "username": "alice", **spec},
    }


def schema(kind: type[CustomResource]) -> dict[str, Any]:
    openapi: dict[str, Any] = crd(kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return openapi


def spec_schema() -> dict[str, Any]:
    properties: dict[str, Any] = schema(KeycloakUser)["properties"]["spec"]["properties"]
    return properties


def rules(node: dict[str, Any]) -> dict[str, str]:
    """rule -> message of a schema node's CEL validations."""
    return {r["rule"]: r["message"] for r in node.get("x-kubernetes-validations", [])}


# --- the model --------------------------------------------------------------------


def test_defaults_and_unset_means_not_managed() -> None:
    spec = KeycloakUser.model_validate(
        user_object(password={"secretRef": {"name": "alice-pw", "key": "password"}})
    ).spec
    assert spec.enabled is True
    assert spec.management_policy is ManagementPolicy.MANAGE
    assert spec.adopt_existing is False
    assert spec.password is not None
    assert spec.password.mode is PasswordMode.INITIAL
    assert spec.password.temporary is False
    for unmanaged in (
        spec.email,
        spec.email_verified,
        spec.attributes,
        spec.required_actions,
        spec.realm_roles,
        spec.client_roles,
        spec.groups,
        spec.federated_identities,
    ):
        assert unmanaged is None


def test_full_object_round_trips_unchanged() -> None:
    raw = user_object(
        email="alice@example.com",
        firstName="Alice",
        lastName="Liddell",
        enabled=False,
        emailVerified=True,
        attributes={"department": ["wonderland"], "phone": []},
        requiredActions=["VERIFY_EMAIL", "CONFIGURE_TOTP"],
        password={
            "secretRef": {"name": "alice-pw", "key": "password"},
            "mode": "Managed",
            "temporary": False,
        },
        realmRoles=["viewer"],
        clientRoles={"app": ["reader"]},
        groups=["/engineering/backend"],
        federatedIdentities=[{"identityProvider": "corp", "userId": "42", "userName": "alice"}],
        managementPolicy="Observe",
        deletionPolicy="Retain",
        adoptExisting=True,
    )
    raw["status"] = {
        "observedGeneration": 1,
        "userId": "2f9c",
        "realmName": "demo",
        "password": {
            "secretName": "alice-pw",
            "secretKey": "password",
            "secretResourceVersion": "17",
            "digest": "pbkdf2-sha256$100000$ab",
            "credentialCreatedDate": 1767268800000,
        },
        "conditions": [],
    }
    parsed = KeycloakUser.model_validate(raw)
    assert parsed.model_dump(mode="json", exclude_unset=True) == raw
    assert parsed.spec.groups == ["/engineering/backend"]
    assert parsed.spec.federated_identities is not None
    assert parsed.spec.federated_identities[0].identity_provider == "corp"
    assert parsed.status.password is not None
    assert parsed.status.password.secret_resource_version == "17"


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"password": {"secretRef": {"name": "p", "key": "k"}, "mode": "Always"}}, "mode"),
        ({"email": "not-an-address"}, "email"),
        ({"groups": ["engineering"]}, "groups"),
        ({"groups": ["/a//b"]}, "groups"),
        ({"requiredActions": ["VERIFY EMAIL"]}, "requiredActions"),
        ({"federatedIdentities": [{"identityProvider": "corp", "userId": "1"}]}, "userName"),
        ({"roles": ["viewer"]}, "roles"),
    ],
)
def test_invalid_specs_are_refused(spec: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        KeycloakUser.model_validate(user_object(**spec))


def test_observe_is_accepted_by_every_kind_that_has_a_management_policy() -> None:
    with_policy = [
        k for k in KINDS if "managementPolicy" in schema(k)["properties"]["spec"]["properties"]
    ]
    assert {k.names.kind for k in with_policy} == {
        "KeycloakRealm",
        "KeycloakClient",
        "KeycloakUser",
    }
    for kind in with_policy:
        field = schema(kind)["properties"]["spec"]["properties"]["managementPolicy"]
        assert field["enum"] == ["Manage", "Observe"]
        assert field["default"] == "Manage"
        assert "Observe: read only; never writes to Keycloak" in field["description"]
        assert "InSync condition lists the differing field paths" in field["description"]
        # Nothing anywhere in the spec refuses Observe.
        spec = schema(kind)["properties"]["spec"]
        assert "Observe" not in str(spec.get("x-kubernetes-validations", []))
    assert ManagementPolicy("Observe") is ManagementPolicy.OBSERVE


# --- the schema -------------------------------------------------------------------


def test_identity_is_immutable_and_username_lower_case() -> None:
    spec = spec_schema()
    for name in ("username", "realmRef"):
        assert rules(spec[name])["self == oldSelf"] == (
            f"{name} is immutable; create a new object to change it"
        )
    username = rules(spec["username"])
    assert username[r"!self.matches('\\p{Lu}|\\p{Lt}')"].startswith("username must be lower case")
    assert "lower case" in spec["username"]["description"]
    assert schema(KeycloakUser)["required"] == ["spec"]
    assert set(schema(KeycloakUser)["properties"]["spec"]["required"]) == {"realmRef", "username"}


def test_password_rules_and_descriptions() -> None:
    password = spec_schema()["password"]
    assert "!(self.mode == 'Managed' && self.temporary)" in rules(password)
    fields = password["properties"]
    assert fields["mode"]["enum"] == ["Initial", "Managed"]
    assert fields["mode"]["default"] == "Initial"
    assert fields["temporary"]["default"] is False
    assert set(password["required"]) == {"secretRef"}
    mode = fields["mode"]["description"]
    assert "Initial: the password is set once, when the controller creates the user" in mode
    assert "Managed: the password is kept equal to the Secret" in mode
    assert "set again whenever the Secret's value changes" in mode


@pytest.mark.parametrize(
    ("field", "policy"),
    [
        ("realmRoles", "Authoritative: realm roles not listed are unmapped"),
        ("clientRoles", "Authoritative per client listed: that client's roles not listed"),
        ("groups", "Authoritative: memberships not listed are removed"),
        ("federatedIdentities", "Authoritative: links not listed are removed"),
        ("requiredActions", "Given to the user when the controller creates it"),
        ("attributes", "Additive: the listed keys are kept equal"),
    ],
)
def test_every_collection_states_its_removal_policy(field: str, policy: str) -> None:
    description = spec_schema()[field]["description"]
    assert policy in description
    assert "Unset: not managed" in description


def test_realm_roles_keep_the_default_roles_composite() -> None:
    assert (
        "except the realm's default-roles-<realm> composite"
        in (spec_schema()["realmRoles"]["description"])
    )


def test_lists_merge_the_way_server_side_apply_expects() -> None:
    spec = spec_schema()
    for field in ("realmRoles", "groups", "requiredActions"):
        assert spec[field]["x-kubernetes-list-type"] == "set", field
    links = spec["federatedIdentities"]
    assert links["x-kubernetes-list-type"] == "map"
    assert links["x-kubernetes-list-map-keys"] == ["identityProvider"]
    assert set(links["items"]["required"]) == {"identityProvider", "userId", "userName"}


def test_attributes_cannot_shadow_typed_fields_or_the_controllers_keys() -> None:
    (rule,) = rules(spec_schema()["attributes"])
    for key in ("'username'", "'email'", "'firstName'", "'lastName'"):
        assert key in rule
    assert "!k.startsWith('keycloak-controller.dev/')" in rule


def test_status_holds_no_password_value() -> None:
    status = schema(KeycloakUser)["properties"]["status"]["properties"]
    assert {"userId", "realmName", "password", "conditions"} <= status.keys()
    assert set(status["password"]["properties"]) == {
        "secretName",
        "secretKey",
        "secretResourceVersion",
        "digest",
        "credentialCreatedDate",
    }
    assert "pbkdf2-sha256" in status["password"]["properties"]["digest"]["description"]


def test_columns_and_names() -> None:
    names = crd(KeycloakUser)["spec"]["names"]
    assert (names["kind"], names["plural"], names["shortNames"]) == (
        "KeycloakUser",
        "keycloakusers",
        ["kcuser"],
    )
    assert names["categories"] == ["keycloak"]
    columns = {c.name: c.json_path for c in KeycloakUser.printer_columns}
    assert columns["Username"] == ".spec.username"
    assert columns["Realm"] == ".spec.realmRef.name"


# --- the password digest ----------------------------------------------------------


def test_digest_is_salted_slow_and_never_the_password() -> None:
    salt = password_salt("0b7c4a52-1111")
    digest = password_digest("correct horse battery", salt)
    algorithm, iterations, value = digest.split("$")
    assert (algorithm, int(iterations)) == ("pbkdf2-sha256", PASSWORD_DIGEST_ITERATIONS)
    assert len(value) == 64
    assert "correct horse" not in digest
    assert digest == password_digest("correct horse battery", salt)
    assert digest != password_digest("correct horse battery", password_salt("other-uid"))
    assert digest != password_digest("correct horse batterY", salt)


def test_digest_matches() -> None:
    salt = password_salt("uid")
    digest = password_digest("s3cret-value", salt)
    assert password_digest_matches(digest, "s3cret-value", salt)
    assert not password_digest_matches(digest, "other", salt)
    assert not password_digest_matches(digest, "s3cret-value", password_salt("uid2"))
    # A digest written with another cost still verifies (the cost is in the string).
    assert password_digest_matches(password_digest("pw", salt, 1000), "pw", salt)
    for foreign in ("", "sha256$abc", "pbkdf2-sha256$many$abc"):
        assert not password_digest_matches(foreign, "pw", salt)


def test_same_source_compares_name_key_and_resource_version() -> None:
    status = PasswordStatus(secret_name="pw", secret_key="password", secret_resource_version="7")
    assert status.same_source("pw", "password", "7")
    assert not status.same_source("pw", "password", "8")
    assert not status.same_source("pw", "other", "7")
    assert not status.same_source("other", "password", "7")
    assert not PasswordStatus().same_source("pw", "password", "7")
