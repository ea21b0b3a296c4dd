"""The typed OIDC and SAML settings of a KeycloakClient as Keycloak client fields and
attributes (pure).

Keycloak keeps most client settings as string attributes; the keys below were
checked against Keycloak's `SamlConfigAttributes`, `SamlProtocol` and
`OIDCConfigAttributes` and against a running 26.7.3. Only the settings the spec
sets are returned, so unset ones stay Keycloak's.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from keycloak_controller.api.client import KeycloakClientSpec
from keycloak_controller.api.client_oidc import AUTHENTICATOR_TYPES, ClientAuthMethod
from keycloak_controller.api.client_saml import CANONICALIZATION_URIS, SamlSettings
from keycloak_controller.api.common import SecretKeySelector

from . import reasons
from .reasons import Problem

# --- OIDC attribute keys ------------------------------------------------------------
USE_JWKS_URL = "use.jwks.url"
JWKS_URL = "jwks.url"
JWT_CERTIFICATE = "jwt.credential.certificate"
JWT_SIGNING_ALG = "token.endpoint.auth.signing.alg"
X509_SUBJECT_DN = "x509.subjectdn"
X509_REGEX = "x509.allow.regex.pattern.comparison"
FRONT_CHANNEL_URL = "frontchannel.logout.url"
FRONT_CHANNEL_SESSION = "frontchannel.logout.session.required"
BACK_CHANNEL_URL = "backchannel.logout.url"
BACK_CHANNEL_SESSION = "backchannel.logout.session.required"
BACK_CHANNEL_REVOKE_OFFLINE = "backchannel.logout.revoke.offline.tokens"
ACCESS_TOKEN_LIFESPAN = "access.token.lifespan"  # noqa: S105 - an attribute name
CLIENT_SESSION_IDLE = "client.session.idle.timeout"
CLIENT_SESSION_MAX = "client.session.max.lifespan"
OFFLINE_SESSION_IDLE = "client.offline.session.idle.timeout"
OFFLINE_SESSION_MAX = "client.offline.session.max.lifespan"
ACCESS_TOKEN_ALG = "access.token.signed.response.alg"  # noqa: S105 - an attribute name
ID_TOKEN_ALG = "id.token.signed.response.alg"  # noqa: S105 - an attribute name
CIBA = "oidc.ciba.grant.enabled"
CONSENT_DISPLAY = "display.on.consent.screen"
CONSENT_TEXT = "consent.screen.text"

# --- SAML attribute keys ------------------------------------------------------------
SAML_ACS = {
    "post": "saml_assertion_consumer_url_post",
    "redirect": "saml_assertion_consumer_url_redirect",
    "artifact": "saml_artifact_binding_url",
}
SAML_SLO = {
    "post": "saml_single_logout_service_url_post",
    "redirect": "saml_single_logout_service_url_redirect",
    "artifact": "saml_single_logout_service_url_artifact",
}
SAML_IDP_INITIATED_NAME = "saml_idp_initiated_sso_url_name"
SAML_IDP_INITIATED_RELAY_STATE = "saml_idp_initiated_sso_relay_state"
SAML_FORCE_POST = "saml.force.post.binding"
SAML_NAME_ID_FORMAT = "saml_name_id_format"
SAML_FORCE_NAME_ID_FORMAT = "saml_force_name_id_format"
SAML_AUTHN_STATEMENT = "saml.authnstatement"
SAML_ASSERTION_LIFESPAN = "saml.assertion.lifespan"
SAML_SIGN_DOCUMENTS = "saml.server.signature"
SAML_SIGN_ASSERTIONS = "saml.assertion.signature"
SAML_SIGNATURE_ALGORITHM = "saml.signature.algorithm"
SAML_CANONICALIZATION = "saml_signature_canonicalization_method"
SAML_KEY_NAME = "saml.server.signature.keyinfo.xmlSigKeyInfoKeyNameTransformer"
SAML_CLIENT_SIGNATURE = "saml.client.signature"
SAML_SIGNING_CERTIFICATE = "saml.signing.certificate"
SAML_ENCRYPT = "saml.encrypt"
SAML_ENCRYPTION_CERTIFICATE = "saml.encryption.certificate"

# authenticationFlowBindingOverrides keys, with the spec field each comes from.
FLOW_OVERRIDE_KEYS = {"browser": "browser", "direct_grant": "directGrant"}


@dataclass(frozen=True)
class ClientInputs:
    """What the desired client needs besides the spec: read from Secrets and Keycloak."""

    # Certificates (base64 DER) by the attribute they go to.
    certificates: Mapping[str, str] = field(default_factory=dict)
    # authenticationFlowBindingOverrides as Keycloak wants them (flow ids); None: unmanaged.
    flow_overrides: Mapping[str, str] | None = None


def certificate_body(text: str, where: str) -> str:
    """A certificate as Keycloak stores it (base64 DER, no PEM armour or line breaks).

    `where` names the Secret key in the message; the value itself is never shown."""
    lines = [line.strip() for line in text.strip().splitlines()]
    body = "".join(line for line in lines if line and not line.startswith("-----"))
    try:
        base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        body = ""
    if not body:
        raise Problem(
            reasons.INVALID_SPEC,
            f"{where} does not hold a certificate; put a PEM certificate (or base64 DER) there",
        )
    return body


def _set(attributes: dict[str, str], key: str, value: str | int | bool | None) -> None:
    """Keycloak's attribute form: "true"/"false", numbers and enum values as text."""
    if value is not None:
        attributes[key] = str(value).lower() if isinstance(value, bool) else str(value)


def oidc_fields(spec: KeycloakClientSpec, inputs: ClientInputs) -> dict[str, Any]:
    """Top-level ClientRepresentation fields and attributes of the OIDC settings."""
    attributes: dict[str, str] = {}
    fields: dict[str, Any] = {"attributes": attributes}
    method = spec.authentication_method()
    if method is not None:
        fields["clientAuthenticatorType"] = AUTHENTICATOR_TYPES[method]
    auth = spec.client_authentication
    if auth is not None:
        if method is ClientAuthMethod.SIGNED_JWT:
            _set(attributes, USE_JWKS_URL, auth.jwks_url is not None)
            _set(attributes, JWKS_URL, auth.jwks_url)
            _set(attributes, JWT_CERTIFICATE, inputs.certificates.get(JWT_CERTIFICATE))
        if method is ClientAuthMethod.X509:
            _set(attributes, X509_SUBJECT_DN, auth.subject_dn)
            _set(attributes, X509_REGEX, auth.allow_regex_subject_dn)
        _set(attributes, JWT_SIGNING_ALG, auth.signing_algorithm)
    if spec.flows is not None:
        _set(attributes, CIBA, spec.flows.ciba)
    logout = spec.logout
    if logout is not None:
        fields["frontchannelLogout"] = logout.front_channel
        _set(attributes, FRONT_CHANNEL_URL, logout.front_channel_url)
        _set(attributes, FRONT_CHANNEL_SESSION, logout.front_channel_session_required)
        _set(attributes, BACK_CHANNEL_URL, logout.back_channel_url)
        _set(attributes, BACK_CHANNEL_SESSION, logout.back_channel_session_required)
        _set(attributes, BACK_CHANNEL_REVOKE_OFFLINE, logout.back_channel_revoke_offline_sessions)
    tokens = spec.tokens
    if tokens is not None:
        _set(attributes, ACCESS_TOKEN_LIFESPAN, tokens.access_token_lifespan)
        _set(attributes, CLIENT_SESSION_IDLE, tokens.client_session_idle_timeout)
        _set(attributes, CLIENT_SESSION_MAX, tokens.client_session_max_lifespan)
        _set(attributes, OFFLINE_SESSION_IDLE, tokens.client_offline_session_idle_timeout)
        _set(attributes, OFFLINE_SESSION_MAX, tokens.client_offline_session_max_lifespan)
        _set(attributes, ACCESS_TOKEN_ALG, tokens.access_token_signature_algorithm)
        _set(attributes, ID_TOKEN_ALG, tokens.id_token_signature_algorithm)
    return fields


def common_fields(spec: KeycloakClientSpec, inputs: ClientInputs) -> dict[str, Any]:
    """Fields both protocols have: consent screen, console, scope, flow overrides."""
    attributes: dict[str, str] = {}
    fields: dict[str, Any] = {
        "attributes": attributes,
        "alwaysDisplayInConsole": spec.always_display_in_console,
        "fullScopeAllowed": spec.full_scope_allowed,
    }
    if spec.consent is not None:
        _set(attributes, CONSENT_DISPLAY, spec.consent.display_client_on_screen)
        _set(attributes, CONSENT_TEXT, spec.consent.screen_text)
    if inputs.flow_overrides is not None:
        fields["authenticationFlowBindingOverrides"] = dict(inputs.flow_overrides)
    return fields


def saml_fields(saml: SamlSettings, inputs: ClientInputs) -> dict[str, Any]:
    """Top-level fields and attributes of the `saml:` block."""
    attributes: dict[str, str] = {}
    fields: dict[str, Any] = {
        "attributes": attributes,
        "frontchannelLogout": saml.front_channel_logout,
        "adminUrl": saml.master_saml_processing_url,
    }
    for endpoints, keys in (
        (saml.assertion_consumer_service, SAML_ACS),
        (saml.single_logout_service, SAML_SLO),
    ):
        if endpoints is not None:
            for binding, key in keys.items():
                _set(attributes, key, getattr(endpoints, binding))
    _set(attributes, SAML_IDP_INITIATED_NAME, saml.idp_initiated_sso_url_name)
    _set(attributes, SAML_IDP_INITIATED_RELAY_STATE, saml.idp_initiated_sso_relay_state)
    _set(attributes, SAML_FORCE_POST, saml.force_post_binding)
    _set(attributes, SAML_NAME_ID_FORMAT, saml.name_id_format)
    _set(attributes, SAML_FORCE_NAME_ID_FORMAT, saml.force_name_id_format)
    _set(attributes, SAML_AUTHN_STATEMENT, saml.include_authn_statement)
    _set(attributes, SAML_ASSERTION_LIFESPAN, saml.assertion_lifespan)
    _set(attributes, SAML_SIGN_DOCUMENTS, saml.sign_documents)
    _set(attributes, SAML_SIGN_ASSERTIONS, saml.sign_assertions)
    _set(attributes, SAML_SIGNATURE_ALGORITHM, saml.signature_algorithm)
    if saml.canonicalization_method is not None:
        attributes[SAML_CANONICALIZATION] = CANONICALIZATION_URIS[saml.canonicalization_method]
    _set(attributes, SAML_KEY_NAME, saml.signing_key_name)
    _set(attributes, SAML_CLIENT_SIGNATURE, saml.client_signature_required)
    _set(attributes, SAML_SIGNING_CERTIFICATE, inputs.certificates.get(SAML_SIGNING_CERTIFICATE))
    _set(attributes, SAML_ENCRYPT, saml.encrypt_assertions)
    _set(
        attributes,
        SAML_ENCRYPTION_CERTIFICATE,
        inputs.certificates.get(SAML_ENCRYPTION_CERTIFICATE),
    )
    return fields


def certificate_refs(spec: KeycloakClientSpec) -> dict[str, tuple[str, SecretKeySelector]]:
    """The certificate Secret keys the spec names: attribute -> (spec path, selector)."""
    refs: dict[str, tuple[str, SecretKeySelector]] = {}
    auth = spec.client_authentication
    if auth is not None and auth.certificate_secret_ref is not None:
        refs[JWT_CERTIFICATE] = (
            "spec.clientAuthentication.certificateSecretRef",
            auth.certificate_secret_ref,
        )
    if spec.saml is not None:
        if spec.saml.signing_certificate_secret_ref is not None:
            refs[SAML_SIGNING_CERTIFICATE] = (
                "spec.saml.signingCertificateSecretRef",
                spec.saml.signing_certificate_secret_ref,
            )
        if spec.saml.encryption_certificate_secret_ref is not None:
            refs[SAML_ENCRYPTION_CERTIFICATE] = (
                "spec.saml.encryptionCertificateSecretRef",
                spec.saml.encryption_certificate_secret_ref,
            )
    return refs
