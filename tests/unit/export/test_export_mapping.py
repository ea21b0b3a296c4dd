"""The export's pure mapping: Keycloak representations back to CRD specs.

Each case goes through the controllers' own plan functions too: exporting a
representation and planning the exported spec must give back what Keycloak had
(the inverse really is an inverse), and defaults never reach the manifest.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import yaml

from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.controllers.realm_plan import desired_realm
from keycloak_controller.export import bundle, command
from keycloak_controller.export.defaults import REALM_SCALARS
from keycloak_controller.export.identity_providers import export_provider
from keycloak_controller.export.realm_settings import export_settings
from keycloak_controller.keycloak.models import (
    IdentityProviderMapperRepresentation,
    IdentityProviderRepresentation,
    RealmRepresentation,
)


def realm(**fields: object) -> RealmRepresentation:
    return RealmRepresentation.model_validate({"realm": "demo", "enabled": True, **fields})


def spec_of(fields: dict[str, object]) -> KeycloakRealmSpec:
    return KeycloakRealmSpec.model_validate(
        {"keycloakRef": {"name": "kc"}, "realmName": "demo", **fields}
    )


def test_a_new_realm_exports_to_nothing_but_its_name() -> None:
    exported = export_settings(realm(**REALM_SCALARS), "demo-secrets")
    assert exported.fields == {"enabled": True}
    assert exported.secrets == [] and exported.untyped == []


def test_changed_settings_come_back_through_the_controllers_plan() -> None:
    have = realm(
        **{
            **REALM_SCALARS,
            "registrationAllowed": True,
            "accessTokenLifespan": 600,
            "bruteForceProtected": True,
            "failureFactor": 5,
            "sslRequired": "none",
            "loginTheme": "custom",
            "eventsEnabled": True,
            "otpPolicyDigits": 8,
            "passwordPolicy": "length(12)",
        }
    )
    exported = export_settings(have, "demo-secrets")
    spec = spec_of(exported.fields)
    assert spec.login is not None and spec.login.registration_allowed is True
    assert spec.security is not None and spec.security.brute_force_detection is not None
    assert spec.otp_policy is not None and spec.otp_policy.digits == 8
    planned = desired_realm(spec, {}).model_dump(by_alias=True, exclude_none=True)
    for key in (
        "registrationAllowed",
        "accessTokenLifespan",
        "bruteForceProtected",
        "failureFactor",
        "sslRequired",
        "loginTheme",
        "eventsEnabled",
        "otpPolicyDigits",
        "passwordPolicy",
    ):
        assert planned[key] == have.model_dump(by_alias=True)[key], key


def test_untyped_settings_go_to_additional_settings_and_ownership_stays_out() -> None:
    have = realm(
        **{**REALM_SCALARS, "oauth2DeviceCodeLifespan": 900},
        attributes={
            "team": "id",
            "oauth2DeviceCodeLifespan": "900",  # Keycloak's mirror of the field
            "io.kubernetes.managed-by": "keycloak-operator",
            "keycloak-controller.dev/owner-name": "old",
            "frontendUrl": "https://login.example.test",
        },
    )
    exported = export_settings(have, "demo-secrets")
    assert exported.fields["additional_settings"] == {"oauth2DeviceCodeLifespan": 900}
    assert exported.untyped == ["oauth2DeviceCodeLifespan"]
    assert exported.fields["attributes"] == {"team": "id"}
    assert exported.fields["frontend_url"] == "https://login.example.test"
    spec_of(exported.fields)  # valid, and the plan accepts the escape hatch
    desired_realm(spec_of(exported.fields), {})


def test_the_smtp_password_becomes_a_secret_reference_never_a_value() -> None:
    have = realm(
        smtpServer={
            "host": "smtp.example.test",
            "port": "587",
            "from": "a@example.test",
            "auth": "true",
            "user": "mailer",
            "password": "**********",
            "starttls": "true",
        }
    )
    exported = export_settings(have, "demo-secrets")
    smtp = spec_of(exported.fields).smtp
    assert smtp is not None and smtp.auth is not None
    assert smtp.auth.password_secret_ref.name == "demo-secrets"
    assert [(s.name, s.key) for s in exported.secrets] == [("demo-secrets", "smtp-password")]
    assert "*****" not in yaml.safe_dump(spec_of(exported.fields).model_dump(mode="json"))


def test_an_oidc_provider_keeps_its_config_and_refers_to_a_secret_stub() -> None:
    stubs: list[bundle.SecretStub] = []
    provider = export_provider(
        IdentityProviderRepresentation.model_validate(
            {
                "alias": "corp",
                "providerId": "oidc",
                "enabled": True,
                "config": {
                    "authorizationUrl": "https://idp/auth",
                    "tokenUrl": "https://idp/token",
                    "clientId": "kc",
                    "clientSecret": "**********",
                    "syncMode": "IMPORT",
                    "guiOrder": "2",
                    "keycloak-controller.dev/owner": "x",
                },
            }
        ),
        [
            IdentityProviderMapperRepresentation.model_validate(
                {
                    "name": "dept",
                    "identityProviderMapper": "oidc-user-attribute-idp-mapper",
                    "config": {"claim": "dept", "syncMode": "INHERIT"},
                }
            )
        ],
        "demo-secrets",
        stubs,
    )
    assert provider is not None and provider.oidc is not None
    assert provider.oidc.token_url == "https://idp/token"
    assert provider.oidc.client_secret_ref is not None
    assert provider.config == {"guiOrder": "2"}
    assert provider.sync_mode is not None and provider.sync_mode.value == "IMPORT"
    assert provider.mappers is not None and provider.mappers[0].config == {"claim": "dept"}
    assert [s.key for s in stubs] == ["idp-corp-client-secret"]


def test_a_provider_type_the_crd_does_not_type_is_left_out() -> None:
    have = IdentityProviderRepresentation.model_validate({"alias": "x", "providerId": "oauth2"})
    assert export_provider(have, [], "s", []) is None


@pytest.mark.parametrize(
    ("parts", "name"),
    [
        (("Demo", "My_App"), "demo-my-app"),
        (("r", "https://x/y"), "r-https-x-y"),
        (("",), "unnamed"),
    ],
)
def test_object_names_are_dns_labels(parts: tuple[str, ...], name: str) -> None:
    assert bundle.object_name(*parts) == name


def test_names_that_collide_get_a_suffix() -> None:
    names = bundle.Names()
    assert [names.take("KeycloakClient", "a_b"), names.take("KeycloakClient", "a.b")] == [
        "a-b",
        "a-b-2",
    ]


def test_secret_stubs_are_empty_and_say_to_fill_them(tmp_path: Path) -> None:
    stubs = [bundle.SecretStub("s", "smtp-password", "the SMTP password")]
    (document,) = bundle.secret_documents("ns", stubs)
    assert document.body["stringData"] == {"smtp-password": ""}
    assert "FILL IN" in document.render()
    bundle.write_directory(tmp_path, "ns", [document])
    kustomization = yaml.safe_load((tmp_path / "kustomization.yaml").read_text())
    assert kustomization["namespace"] == "ns"
    assert kustomization["resources"] == ["secret-s.yaml"]


def test_adopt_marks_every_object() -> None:
    spec = spec_of({})
    body = bundle.custom_object("KeycloakRealm", "demo", "ns", spec, adopt=True)
    assert body["spec"]["adoptExisting"] is True
    assert "deletionPolicy" not in body["spec"]
    assert (
        "adoptExisting" not in bundle.custom_object("KeycloakRealm", "d", "n", spec, False)["spec"]
    )


def test_credentials_come_from_a_file_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "login"
    path.write_text("username=admin\npassword=pw\n")
    args = argparse.Namespace(credentials_file=path, credentials_secret=None)
    login = command.credentials(args)
    assert login.username == "admin"
    monkeypatch.delenv(command.ENV_USERNAME, raising=False)
    monkeypatch.delenv(command.ENV_PASSWORD, raising=False)
    with pytest.raises(command.CredentialsError) as error:
        command.credentials(argparse.Namespace(credentials_file=None, credentials_secret=None))
    assert command.ENV_USERNAME in str(error.value)
    monkeypatch.setenv(command.ENV_USERNAME, "a")
    monkeypatch.setenv(command.ENV_PASSWORD, "secret-value")
    login = command.credentials(argparse.Namespace(credentials_file=None, credentials_secret=None))
    assert "secret-value" not in repr(login)


def test_the_export_subcommand_parses() -> None:
    from keycloak_controller import cli

    args = cli.parse_args(["export", "--url", "http://kc", "--realm", "a", "--adopt", "--users"])
    assert (args.realm, args.adopt, args.users, args.output) == (["a"], True, True, None)
    with pytest.raises(SystemExit):
        cli.parse_args(["export", "--url", "http://kc"])  # a realm or --all-realms


def test_an_ldap_provider_keeps_its_mappers_and_refers_to_a_bind_secret() -> None:
    from keycloak_controller.export.federation import export_ldap
    from keycloak_controller.keycloak.models import ComponentRepresentation

    stubs: list[bundle.SecretStub] = []
    provider = export_ldap(
        ComponentRepresentation.model_validate(
            {
                "name": "corp",
                "providerId": "ldap",
                "config": {
                    "connectionUrl": ["ldap://x"],
                    "authType": ["simple"],
                    "bindDn": ["cn=admin"],
                    "bindCredential": ["**********"],
                    "usersDn": ["ou=people"],
                    "vendor": ["other"],
                    "editMode": ["READ_ONLY"],
                    "searchScope": ["2"],
                    "fullSyncPeriod": ["-1"],
                    "userObjectClasses": ["inetOrgPerson, organizationalPerson"],
                    "krbPrincipalAttribute": ["krb5PrincipalName"],
                },
            }
        ),
        [
            ComponentRepresentation.model_validate(
                {
                    "name": "username",
                    "providerId": "user-attribute-ldap-mapper",
                    "config": {"user.model.attribute": ["username"], "ldap.attribute": ["uid"]},
                }
            ),
            ComponentRepresentation.model_validate(
                {"name": "krb", "providerId": "kerberos-principal-attribute-mapper"}
            ),
        ],
        "s",
        stubs,
    )
    assert provider.bind_credential_secret_ref is not None
    assert [s.key for s in stubs] == ["ldap-corp-bind-credential"]
    assert provider.search_scope is not None and provider.search_scope.value == "Subtree"
    assert provider.sync is not None and provider.sync.full_sync_period_seconds == 0
    assert provider.user_object_classes == ["inetOrgPerson", "organizationalPerson"]
    assert provider.additional_config == {"krbPrincipalAttribute": "krb5PrincipalName"}
    mappers = {m.name: m for m in provider.mappers or ()}
    assert mappers["username"].user_attribute is not None
    assert mappers["krb"].custom is not None
    assert "**********" not in provider.model_dump_json()
