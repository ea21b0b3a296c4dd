"""A client's typed OIDC and SAML settings read back from its Keycloak attributes (pure).

The inverse of `controllers.client_settings`: the same attribute keys, turned into the
spec's typed blocks (`logout`, `tokens`, `clientAuthentication`, `consent`, `saml`).
A typed attribute is taken out of the escape-hatch `attributes` whether or not it is
exported: a value equal to Keycloak's default is simply left out (unset means "as
Keycloak has it", which is that default). Values the typed field cannot hold (a
lifespan that is not a number, an unknown algorithm) stay in `attributes` as they are,
so nothing is lost.

The defaults are the ones Keycloak reads an absent attribute as, or, where it fills the
attribute on every client write (`backchannel.logout.session.required`: true), the value
it fills. Secret material never leaves: SAML private keys are dropped; certificates (public,
but the CRD reads them from Secrets) become a Secret reference plus a stub to fill.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from keycloak_controller.api.client_oidc import (
    AUTHENTICATOR_TYPES,
    ClientAuthentication,
    ClientAuthMethod,
    Consent,
    Logout,
    SignatureAlgorithm,
    TokenSettings,
)
from keycloak_controller.api.client_saml import (
    CANONICALIZATION_URIS,
    Canonicalization,
    NameIdFormat,
    SamlEndpoints,
    SamlSettings,
    SamlSignatureAlgorithm,
    SigningKeyName,
)
from keycloak_controller.api.common import SecretKeySelector
from keycloak_controller.controllers import client_settings as keys

E = TypeVar("E")

# A Secret key for a certificate the spec must read from a Secret: (attribute, why) -> ref.
CertificateRef = Callable[[str, str], SecretKeySelector]

# Private keys Keycloak keeps for SAML clients: secret values, never exported.
SAML_PRIVATE_KEYS = frozenset({"saml.signing.private.key", "saml.encryption.private.key"})
# Derived by Keycloak from the clientId when a SAML client is created.
SAML_DERIVED = frozenset({"saml.artifact.binding.identifier"})

# Untyped attributes the Admin Console writes with Keycloak's own default (absent means
# the same): left out so a console-made client's manifest stays short.
UNTYPED_DEFAULTS: dict[str, str] = {
    "oauth2.device.authorization.grant.enabled": "false",
    "use.refresh.tokens": "true",
    "client_credentials.use_refresh_token": "false",
    "token.response.type.bearer.lower-case": "false",
    "tls.client.certificate.bound.access.tokens": "false",
    "require.pushed.authorization.requests": "false",
    "exclude.session.state.from.auth.response": "false",
    "exclude.issuer.from.auth.response": "false",
    "id.token.as.detached.signature": "false",
    "client.use.lightweight.access.token.enabled": "false",
    "client.introspection.response.allow.jwt.claim.enabled": "false",
    "standard.token.exchange.enabled": "false",
    "acr.loa.map": "{}",
    "saml.allow.ecp.flow": "false",
    "saml.artifact.binding": "false",
    "saml.server.signature.keyinfo.ext": "false",
}


@dataclass
class Attributes:
    """A client's attributes being consumed: what is taken is no longer escape hatch."""

    remaining: dict[str, str]

    def take(self, key: str) -> str | None:
        """The attribute's value ('' counts as absent), removed from the remaining ones."""
        value = self.remaining.pop(key, None)
        return value if value else None

    def flag(self, key: str, default: bool) -> bool | None:
        """A "true"/"false" attribute; None when absent, equal to `default` or not a flag."""
        value = self.remaining.get(key)
        if value not in ("true", "false"):
            if value == "":
                self.remaining.pop(key)
            return None
        self.remaining.pop(key)
        flag = value == "true"
        return None if flag == default else flag

    def seconds(self, key: str) -> int | None:
        """A non-negative number of seconds; 0 or absent (the realm's) gives None."""
        value = self.remaining.get(key)
        if value is None or value == "":
            self.remaining.pop(key, None)
            return None
        if not value.isdigit() or int(value) > 2**31 - 1:
            return None  # stays in attributes as it is
        self.remaining.pop(key)
        return int(value) or None

    def choice(self, key: str, kind: Callable[[str], E], default: str | None = None) -> E | None:
        """An enum-valued attribute; unknown values stay in attributes."""
        value = self.remaining.get(key)
        if value is None or value == "":
            self.remaining.pop(key, None)
            return None
        try:
            parsed = kind(value)
        except ValueError:
            return None
        self.remaining.pop(key)
        return None if value == default else parsed

    def drop_defaults(self) -> None:
        """Untyped attributes at Keycloak's default, and empty ones (the Admin Console
        writes "" for fields left blank, which Keycloak reads as unset)."""
        for key, value in list(self.remaining.items()):
            if value == "" or UNTYPED_DEFAULTS.get(key) == value:
                del self.remaining[key]


def _model(cls: type[E], **values: object) -> E | None:
    """The typed block, or None when every field of it is unset."""
    present = {k: v for k, v in values.items() if v is not None}
    return cls(**present) if present else None


@dataclass
class OidcSettings:
    logout: Logout | None = None
    tokens: TokenSettings | None = None
    client_authentication: ClientAuthentication | None = None
    notes: list[str] = field(default_factory=list)


def client_authentication(
    authenticator: str | None, attributes: Attributes, certificate: CertificateRef
) -> tuple[ClientAuthentication | None, str | None]:
    """The authenticator of a Confidential OIDC client, and a note when it has no type."""
    by_type = {v: k for k, v in AUTHENTICATOR_TYPES.items()}
    method = by_type.get(authenticator or "client-secret")
    if method is None:
        return None, (
            f"client authenticator {authenticator} has no typed method: left as Keycloak has it"
        )
    algorithm = attributes.choice(keys.JWT_SIGNING_ALG, SignatureAlgorithm)
    jwks_url = certificate_ref = subject_dn = regex = None
    if method is ClientAuthMethod.SIGNED_JWT:
        use_jwks = attributes.remaining.pop(keys.USE_JWKS_URL, "false") == "true"
        url = attributes.take(keys.JWKS_URL)
        cert = attributes.take(keys.JWT_CERTIFICATE)
        if use_jwks and url:
            jwks_url = url
        elif cert:
            certificate_ref = certificate(
                "jwt-certificate",
                "the certificate (PEM) whose key signs the client's JWTs "
                "(public: copy it from the client's Keys tab)",
            )
    elif method is ClientAuthMethod.X509:
        subject_dn = attributes.take(keys.X509_SUBJECT_DN)
        regex = attributes.flag(keys.X509_REGEX, default=False)
        if subject_dn is None:
            return None, "client-x509 without a subject DN: left as Keycloak has it"
    else:
        # Console leftovers of another method: meaningless for this one.
        if attributes.remaining.get(keys.USE_JWKS_URL) == "false":
            del attributes.remaining[keys.USE_JWKS_URL]
    if method is ClientAuthMethod.CLIENT_SECRET and algorithm is None:
        return None, None  # the default
    return (
        ClientAuthentication(
            method=method,
            jwks_url=jwks_url,
            certificate_secret_ref=certificate_ref,
            signing_algorithm=algorithm,
            subject_dn=subject_dn,
            allow_regex_subject_dn=regex,
        ),
        None,
    )


def oidc_settings(
    frontchannel_logout: bool | None,
    authenticator: str | None,
    confidential: bool,
    attributes: Attributes,
    certificate: CertificateRef,
) -> OidcSettings:
    out = OidcSettings()
    if confidential:
        out.client_authentication, note = client_authentication(
            authenticator, attributes, certificate
        )
        if note:
            out.notes.append(note)
    out.logout = _model(
        Logout,
        front_channel=True if frontchannel_logout else None,
        front_channel_url=attributes.take(keys.FRONT_CHANNEL_URL),
        front_channel_session_required=attributes.flag(keys.FRONT_CHANNEL_SESSION, default=True),
        back_channel_url=attributes.take(keys.BACK_CHANNEL_URL),
        back_channel_session_required=attributes.flag(keys.BACK_CHANNEL_SESSION, default=True),
        back_channel_revoke_offline_sessions=attributes.flag(
            keys.BACK_CHANNEL_REVOKE_OFFLINE, default=False
        ),
    )
    out.tokens = _model(
        TokenSettings,
        access_token_lifespan=attributes.seconds(keys.ACCESS_TOKEN_LIFESPAN),
        client_session_idle_timeout=attributes.seconds(keys.CLIENT_SESSION_IDLE),
        client_session_max_lifespan=attributes.seconds(keys.CLIENT_SESSION_MAX),
        client_offline_session_idle_timeout=attributes.seconds(keys.OFFLINE_SESSION_IDLE),
        client_offline_session_max_lifespan=attributes.seconds(keys.OFFLINE_SESSION_MAX),
        access_token_signature_algorithm=attributes.choice(
            keys.ACCESS_TOKEN_ALG, SignatureAlgorithm
        ),
        id_token_signature_algorithm=attributes.choice(keys.ID_TOKEN_ALG, SignatureAlgorithm),
    )
    return out


def consent(attributes: Attributes) -> Consent | None:
    # Keycloak reads an absent display.on.consent.screen as true (ClientScopeModel).
    return _model(
        Consent,
        display_client_on_screen=attributes.flag(keys.CONSENT_DISPLAY, default=True),
        screen_text=attributes.take(keys.CONSENT_TEXT),
    )


def _endpoints(attributes: Attributes, by_binding: dict[str, str]) -> SamlEndpoints | None:
    return _model(
        SamlEndpoints, **{binding: attributes.take(key) for binding, key in by_binding.items()}
    )


def _canonicalization(value: str) -> Canonicalization:
    by_uri = {uri: c for c, uri in CANONICALIZATION_URIS.items()}
    if value not in by_uri:
        raise ValueError(value)
    return by_uri[value]


@dataclass
class SamlExport:
    saml: SamlSettings
    notes: list[str] = field(default_factory=list)


def saml_settings(
    frontchannel_logout: bool | None, attributes: Attributes, certificate: CertificateRef
) -> SamlExport:
    """The `saml:` block; defaults are those of a SAML client created with its clientId."""
    notes = []
    for key in SAML_PRIVATE_KEYS | SAML_DERIVED:
        attributes.remaining.pop(key, None)
    client_signature = attributes.flag(keys.SAML_CLIENT_SIGNATURE, default=True)
    # The SP's signing certificate: Keycloak makes one for each new SAML client. It stays
    # as Keycloak has it (the CRD reads it from a Secret only when the spec asks for it).
    if attributes.take(keys.SAML_SIGNING_CERTIFICATE) and client_signature is None:
        notes.append(
            "Keycloak checks this service provider's signatures with the certificate it has; "
            "to carry it to another Keycloak set saml.clientSignatureRequired: true and "
            "saml.signingCertificateSecretRef."
        )
    encrypt = attributes.flag(keys.SAML_ENCRYPT, default=False)
    encryption_cert = attributes.take(keys.SAML_ENCRYPTION_CERTIFICATE)
    encryption_ref = None
    if encrypt and encryption_cert:
        encryption_ref = certificate(
            "saml-encryption-certificate",
            "the service provider's encryption certificate, PEM (public: copy it from the "
            "client's Keys tab)",
        )
    elif encrypt:
        encrypt = None
        attributes.remaining[keys.SAML_ENCRYPT] = "true"  # no certificate: keep it raw
    saml = SamlSettings(
        assertion_consumer_service=_endpoints(attributes, keys.SAML_ACS),
        single_logout_service=_endpoints(attributes, keys.SAML_SLO),
        idp_initiated_sso_url_name=attributes.take(keys.SAML_IDP_INITIATED_NAME),
        idp_initiated_sso_relay_state=attributes.take(keys.SAML_IDP_INITIATED_RELAY_STATE),
        force_post_binding=attributes.flag(keys.SAML_FORCE_POST, default=True),
        front_channel_logout=False if frontchannel_logout is False else None,
        name_id_format=attributes.choice(keys.SAML_NAME_ID_FORMAT, NameIdFormat, "username"),
        force_name_id_format=attributes.flag(keys.SAML_FORCE_NAME_ID_FORMAT, default=False),
        include_authn_statement=attributes.flag(keys.SAML_AUTHN_STATEMENT, default=True),
        assertion_lifespan=attributes.seconds(keys.SAML_ASSERTION_LIFESPAN),
        sign_documents=attributes.flag(keys.SAML_SIGN_DOCUMENTS, default=True),
        sign_assertions=attributes.flag(keys.SAML_SIGN_ASSERTIONS, default=False),
        signature_algorithm=attributes.choice(
            keys.SAML_SIGNATURE_ALGORITHM, SamlSignatureAlgorithm, "RSA_SHA256"
        ),
        canonicalization_method=attributes.choice(
            keys.SAML_CANONICALIZATION,
            _canonicalization,
            CANONICALIZATION_URIS[Canonicalization.EXCLUSIVE],
        ),
        signing_key_name=attributes.choice(keys.SAML_KEY_NAME, SigningKeyName, "KEY_ID"),
        client_signature_required=client_signature,
        encrypt_assertions=encrypt,
        encryption_certificate_secret_ref=encryption_ref,
    )
    return SamlExport(saml, notes)
