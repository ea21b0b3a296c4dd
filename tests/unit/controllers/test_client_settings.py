"""Pure planning of a KeycloakClient's typed OIDC and SAML settings, flow overrides,
guards and credentials Secret keys."""

from __future__ import annotations

import pytest

from keycloak_controller.api.client import KeycloakClientSpec, is_script_mapper
from keycloak_controller.controllers import client_plan, client_settings
from keycloak_controller.controllers.client_guards import _with_ancestors
from keycloak_controller.controllers.client_settings import ClientInputs
from keycloak_controller.controllers.reasons import Problem
from keycloak_controller.keycloak.secrets import Secret

CERT_BODY = "TUlJQmR1bW15Q0VSVGJvZHk="
PEM = "-----BEGIN CERTIFICATE-----\nTUlJQmR1bW15\nQ0VSVGJvZHk=\n-----END CERTIFICATE-----\n"


def spec(**fields: object) -> KeycloakClientSpec:
    return KeycloakClientSpec.model_validate(
        {"realmRef": {"name": "demo"}, "clientId": "app", **fields}
    )


def saml_spec(**saml: object) -> KeycloakClientSpec:
    return spec(protocol="saml", saml=saml)


def test_saml_settings_become_saml_attributes_and_no_oidc_ones() -> None:
    want = saml_spec(
        assertionConsumerService={"post": "https://sp/acs", "artifact": "https://sp/art"},
        singleLogoutService={"redirect": "https://sp/slo"},
        masterSamlProcessingUrl="https://sp/saml",
        signDocuments=False,
        signAssertions=True,
        signatureAlgorithm="RSA_SHA512",
        canonicalizationMethod="ExclusiveWithComments",
        nameIdFormat="email",
        clientSignatureRequired=True,
        signingCertificateSecretRef={"name": "c", "key": "k"},
    )
    inputs = ClientInputs(certificates={client_settings.SAML_SIGNING_CERTIFICATE: CERT_BODY})
    desired = client_plan.desired_client(want, {}, None, inputs)
    attributes = desired.attributes or {}
    assert desired.protocol == "saml"
    assert desired.admin_url == "https://sp/saml"
    assert attributes["saml_assertion_consumer_url_post"] == "https://sp/acs"
    assert attributes["saml_artifact_binding_url"] == "https://sp/art"
    assert attributes["saml_single_logout_service_url_redirect"] == "https://sp/slo"
    assert attributes["saml.server.signature"] == "false"
    assert attributes["saml.assertion.signature"] == "true"
    assert attributes["saml.signature.algorithm"] == "RSA_SHA512"
    assert attributes["saml_signature_canonicalization_method"].endswith("#WithComments")
    assert attributes["saml_name_id_format"] == "email"
    assert attributes["saml.signing.certificate"] == CERT_BODY
    # Unset settings stay Keycloak's; OIDC-only fields are not sent for SAML.
    assert "saml.encrypt" not in attributes
    assert "oauth2.device.authorization.grant.enabled" not in attributes
    assert desired.public_client is None and desired.bearer_only is None
    assert desired.client_authenticator_type is None


def test_signed_jwt_with_a_jwks_url_and_no_secret_sent() -> None:
    want = spec(clientAuthentication={"method": "SignedJwt", "jwksUrl": "https://app/jwks"})
    desired = client_plan.desired_client(want, {}, Secret("byo-value"))
    attributes = desired.attributes or {}
    assert desired.client_authenticator_type == "client-jwt"
    assert attributes["use.jwks.url"] == "true"
    assert attributes["jwks.url"] == "https://app/jwks"
    assert desired.secret is None
    assert not want.uses_client_secret()
    assert spec().uses_client_secret()
    assert spec(clientAuthentication={"method": "ClientSecretJwt"}).uses_client_secret()
    assert spec(accessType="BearerOnly").authentication_method() is None


def test_typed_settings_take_precedence_over_raw_attributes() -> None:
    want = spec(
        attributes={"access.token.lifespan": "1", "custom": "x"}, tokens={"accessTokenLifespan": 60}
    )
    attributes = client_plan.desired_client(want, {}).attributes or {}
    assert attributes["access.token.lifespan"] == "60"
    assert attributes["custom"] == "x"


def test_flow_overrides_are_authoritative_and_removed_with_an_empty_value() -> None:
    want = spec(authenticationFlowOverrides={"browser": "otp"})
    desired = client_plan.desired_client(
        want, {}, None, ClientInputs(flow_overrides={"browser": "id-1"})
    )
    base = client_plan.desired_client(
        want, {}, None, ClientInputs(flow_overrides={"browser": "id-1"})
    )
    in_sync = base.model_copy(
        update={"authentication_flow_binding_overrides": {"browser": "id-1", "direct_grant": ""}}
    )
    assert client_plan.changed_fields(desired, in_sync) == []
    extra = base.model_copy(
        update={
            "authentication_flow_binding_overrides": {"browser": "id-1", "direct_grant": "id-2"}
        }
    )
    update = client_plan.client_update(desired, extra)
    assert update is not None
    assert update.authentication_flow_binding_overrides == {"browser": "id-1", "direct_grant": ""}
    # Not managed: whatever Keycloak has is left.
    unmanaged = client_plan.desired_client(spec(), {})
    assert (
        client_plan.changed_fields(
            unmanaged, extra.model_copy(update={"attributes": unmanaged.attributes})
        )
        == []
    )


def test_certificate_body_strips_pem_and_refuses_garbage_without_showing_it() -> None:
    assert client_settings.certificate_body(PEM, "where") == CERT_BODY
    assert client_settings.certificate_body(CERT_BODY, "where") == CERT_BODY
    with pytest.raises(Problem) as caught:
        client_settings.certificate_body("not a cert!", "spec.x (Secret s, key k)")
    assert "spec.x (Secret s, key k)" in caught.value.message
    assert "not a cert" not in caught.value.message


def test_script_mappers_and_secret_refs() -> None:
    assert is_script_mapper("oidc-script-based-protocol-mapper")
    assert is_script_mapper("saml-javascript-mapper")
    assert is_script_mapper("script-my-mapper.js")
    assert not is_script_mapper("oidc-hardcoded-claim-mapper")
    want = saml_spec(
        clientSignatureRequired=True,
        signingCertificateSecretRef={"name": "sign", "key": "crt"},
        encryptAssertions=True,
        encryptionCertificateSecretRef={"name": "enc", "key": "crt"},
    )
    assert [r.name for r in want.secret_refs()] == ["sign", "enc"]
    jwt = spec(
        clientAuthentication={
            "method": "SignedJwt",
            "certificateSecretRef": {"name": "j", "key": "c"},
        },
        credentialsSecret={"existingSecret": {"name": "byo", "key": "s"}},
    )
    assert [r.name for r in jwt.secret_refs()] == ["byo", "j"]


def test_group_ancestors() -> None:
    assert _with_ancestors("/a/b/c") == ["/a", "/a/b", "/a/b/c"]
    assert _with_ancestors("/a") == ["/a"]


def test_saml_credentials_keys() -> None:
    data = client_plan.credentials_data(
        "urn:sp", None, "https://kc/", "demo", saml=True, idp_certificate="CERT"
    )
    assert data == {
        "client-id": "urn:sp",
        "keycloak-url": "https://kc",
        "realm": "demo",
        "issuer": "https://kc/realms/demo",
        "saml-idp-metadata-url": "https://kc/realms/demo/protocol/saml/descriptor",
        "saml-idp-sso-url": "https://kc/realms/demo/protocol/saml",
        "saml-idp-signing-certificate": "CERT",
    }


def test_mapper_protocol_follows_the_client() -> None:
    from keycloak_controller.api.client import ProtocolMapper

    mapper = ProtocolMapper(name="r", protocol_mapper="saml-role-list-mapper")
    assert client_plan.desired_mapper(mapper, "saml").protocol == "saml"
    assert client_plan.desired_mapper(mapper).protocol == "openid-connect"
