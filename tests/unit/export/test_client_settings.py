"""The export's typed client settings: Keycloak attributes back to the spec's blocks.

Each non-default case is planned again with the controller's own
`client_settings` functions: the attributes they write must be the ones Keycloak
had (the export really is the inverse), and defaults never reach the manifest.
"""

from __future__ import annotations

from keycloak_controller.api.client import KeycloakClientSpec
from keycloak_controller.api.common import SecretKeySelector
from keycloak_controller.controllers.client_settings import (
    SAML_ENCRYPTION_CERTIFICATE,
    ClientInputs,
    oidc_fields,
    saml_fields,
)
from keycloak_controller.export.client_settings import (
    Attributes,
    consent,
    oidc_settings,
    saml_settings,
)

CERT = "MIIBdummy"
ASKED: list[str] = []


def certificate(what: str, why: str) -> SecretKeySelector:
    ASKED.append(what)
    return SecretKeySelector(name="realm-secrets", key=f"app-{what}")


def spec(**fields: object) -> KeycloakClientSpec:
    return KeycloakClientSpec.model_validate(
        {"realmRef": {"name": "r"}, "clientId": "app", **fields}
    )


# What a SAML client created with only its clientId has (26.7.3), minus key material.
SAML_DEFAULTS = {
    "saml.force.post.binding": "true",
    "saml.server.signature": "true",
    "saml.signature.algorithm": "RSA_SHA256",
    "saml_force_name_id_format": "false",
    "saml.client.signature": "true",
    "saml.authnstatement": "true",
    "saml_name_id_format": "username",
    "saml.allow.ecp.flow": "false",
    "saml_signature_canonicalization_method": "http://www.w3.org/2001/10/xml-exc-c14n#",
    "saml.artifact.binding.identifier": "oPFJCiDQIRyZe0S8NX4Zct6riuM=",
}


def test_a_default_saml_client_exports_an_empty_block_and_never_its_private_key() -> None:
    attributes = Attributes(
        {
            **SAML_DEFAULTS,
            "saml.signing.certificate": CERT,
            "saml.signing.private.key": "PRIVATE",
        }
    )
    exported = saml_settings(True, attributes, certificate)
    attributes.drop_defaults()
    assert exported.saml.model_dump(exclude_none=True) == {}
    assert attributes.remaining == {}
    # The generated certificate stays Keycloak's, and the document says so.
    assert exported.notes and "signingCertificateSecretRef" in exported.notes[0]


def test_non_default_saml_settings_plan_back_to_the_same_attributes() -> None:
    had = {
        "saml_assertion_consumer_url_post": "https://sp/acs",
        "saml_single_logout_service_url_redirect": "https://sp/slo",
        "saml_idp_initiated_sso_url_name": "sp",
        "saml_name_id_format": "email",
        "saml_force_name_id_format": "true",
        "saml.assertion.signature": "true",
        "saml.signature.algorithm": "RSA_SHA512",
        "saml.client.signature": "false",
        "saml.encrypt": "true",
        "saml.encryption.certificate": CERT,
        "saml.assertion.lifespan": "120",
        "saml.server.signature.keyinfo.xmlSigKeyInfoKeyNameTransformer": "CERT_SUBJECT",
        "saml_signature_canonicalization_method": "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    }
    attributes = Attributes(dict(had))
    ASKED.clear()
    exported = saml_settings(False, attributes, certificate)
    assert attributes.remaining == {}
    saml = exported.saml
    assert saml.encryption_certificate_secret_ref == SecretKeySelector(
        name="realm-secrets", key="app-saml-encryption-certificate"
    )
    assert ASKED == ["saml-encryption-certificate"]
    assert saml.front_channel_logout is False
    planned = saml_fields(saml, ClientInputs(certificates={SAML_ENCRYPTION_CERTIFICATE: CERT}))
    assert planned["attributes"] == had
    assert planned["frontchannelLogout"] is False


def test_encryption_without_a_certificate_stays_a_raw_attribute() -> None:
    attributes = Attributes({"saml.encrypt": "true"})
    exported = saml_settings(None, attributes, certificate)
    assert exported.saml.encrypt_assertions is None
    assert attributes.remaining == {"saml.encrypt": "true"}


OIDC = {
    "use.jwks.url": "true",
    "jwks.url": "https://app/jwks",
    "token.endpoint.auth.signing.alg": "PS256",
    "access.token.lifespan": "120",
    "client.session.idle.timeout": "900",
    "client.session.max.lifespan": "7200",
    "client.offline.session.idle.timeout": "3600",
    "client.offline.session.max.lifespan": "7201",
    "access.token.signed.response.alg": "ES256",
    "id.token.signed.response.alg": "PS384",
    "frontchannel.logout.url": "https://app/fc",
    "frontchannel.logout.session.required": "false",
    "backchannel.logout.url": "https://app/bc",
    "backchannel.logout.session.required": "false",
    "backchannel.logout.revoke.offline.tokens": "true",
}


def test_non_default_oidc_settings_plan_back_to_the_same_attributes() -> None:
    attributes = Attributes({**OIDC, "use.refresh.tokens": "false"})
    exported = oidc_settings(True, "client-jwt", True, attributes, certificate)
    # The one attribute with no typed field is what stays in the escape hatch.
    assert attributes.remaining == {"use.refresh.tokens": "false"}
    desired = spec(
        logout=exported.logout,
        tokens=exported.tokens,
        clientAuthentication=exported.client_authentication,
    )
    planned = oidc_fields(desired, ClientInputs())
    assert planned["attributes"] == OIDC
    assert planned["clientAuthenticatorType"] == "client-jwt"
    assert planned["frontchannelLogout"] is True


def test_defaults_and_console_leftovers_export_nothing() -> None:
    attributes = Attributes(
        {
            "frontchannel.logout.session.required": "true",
            "backchannel.logout.session.required": "true",
            "backchannel.logout.revoke.offline.tokens": "false",
            "access.token.lifespan": "",
            "client.session.idle.timeout": "0",
            "use.jwks.url": "false",
            "use.refresh.tokens": "true",
            "display.on.consent.screen": "true",
            "consent.screen.text": "",
            "login_theme": "",
        }
    )
    exported = oidc_settings(False, "client-secret", True, attributes, certificate)
    shown = consent(attributes)
    attributes.drop_defaults()
    assert (exported.logout, exported.tokens, exported.client_authentication, shown) == (
        None,
        None,
        None,
        None,
    )
    assert attributes.remaining == {}


def test_values_a_typed_field_cannot_hold_stay_in_attributes() -> None:
    attributes = Attributes({"access.token.lifespan": "-1", "id.token.signed.response.alg": "XX"})
    exported = oidc_settings(False, None, False, attributes, certificate)
    assert exported.tokens is None
    assert attributes.remaining == {
        "access.token.lifespan": "-1",
        "id.token.signed.response.alg": "XX",
    }


def test_an_untyped_authenticator_is_a_note_not_a_guess() -> None:
    attributes = Attributes({})
    exported = oidc_settings(False, "federated-jwt", True, attributes, certificate)
    assert exported.client_authentication is None
    assert "federated-jwt" in exported.notes[0]


def test_a_signed_jwt_certificate_becomes_a_secret_reference() -> None:
    attributes = Attributes({"use.jwks.url": "false", "jwt.credential.certificate": CERT})
    ASKED.clear()
    exported = oidc_settings(False, "client-jwt", True, attributes, certificate)
    auth = exported.client_authentication
    assert auth is not None and auth.certificate_secret_ref is not None
    assert auth.jwks_url is None
    assert ASKED == ["jwt-certificate"]
    assert attributes.remaining == {}


def test_hiding_the_client_on_the_consent_screen_is_kept() -> None:
    # Keycloak reads an absent display.on.consent.screen as true: false must be exported.
    attributes = Attributes({"display.on.consent.screen": "false", "consent.screen.text": "Hi"})
    shown = consent(attributes)
    assert shown is not None
    assert (shown.display_client_on_screen, shown.screen_text) == (False, "Hi")
    assert attributes.remaining == {}
