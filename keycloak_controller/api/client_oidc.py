"""Typed OIDC settings of a `KeycloakClient`: how it authenticates, logout, token and
session lifetimes, and per-client authentication flow overrides.

Keycloak keeps most of these as client attributes (`access.token.lifespan`,
`backchannel.logout.url`, ...); the controller writes them from these fields, so
users never need the attribute names. Every field left unset is not managed.
"""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import ConfigDict, Field

from .base import INT32_MAX, MAX_NAME, MAX_TEXT, MAX_URL, SpecModel, cel
from .base import Rule as CelRule
from .common import SecretKeySelector

Url = Annotated[str, Field(min_length=1, max_length=MAX_URL)]
Seconds = Annotated[int, Field(ge=0, le=INT32_MAX, json_schema_extra={"format": "int32"})]
FlowAlias = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]


class ClientAuthMethod(enum.StrEnum):
    """How a confidential client proves who it is at the token endpoint."""

    CLIENT_SECRET = "ClientSecret"  # noqa: S105 - client-secret: Basic or form secret
    SIGNED_JWT = "SignedJwt"  # client-jwt: a JWT signed with the client's private key
    CLIENT_SECRET_JWT = "ClientSecretJwt"  # noqa: S105 - client-secret-jwt: HMAC-signed JWT
    X509 = "X509"  # client-x509: mutual TLS with a certificate of a given subject DN


# The Keycloak authenticator provider of each method.
AUTHENTICATOR_TYPES: dict[ClientAuthMethod, str] = {
    ClientAuthMethod.CLIENT_SECRET: "client-secret",
    ClientAuthMethod.SIGNED_JWT: "client-jwt",
    ClientAuthMethod.CLIENT_SECRET_JWT: "client-secret-jwt",
    ClientAuthMethod.X509: "client-x509",
}


class SignatureAlgorithm(enum.StrEnum):
    """A JWS algorithm Keycloak signs or verifies tokens with."""

    RS256 = "RS256"
    RS384 = "RS384"
    RS512 = "RS512"
    PS256 = "PS256"
    PS384 = "PS384"
    PS512 = "PS512"
    ES256 = "ES256"
    ES384 = "ES384"
    ES512 = "ES512"
    HS256 = "HS256"
    HS384 = "HS384"
    HS512 = "HS512"
    EDDSA = "EdDSA"


class ClientAuthentication(SpecModel):
    """The client authenticator (Confidential OIDC clients only)."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                "self.method != 'SignedJwt' "
                "|| (has(self.jwksUrl) != has(self.certificateSecretRef))",
                "method SignedJwt needs exactly one of jwksUrl or certificateSecretRef",
            ),
            CelRule(
                "self.method == 'SignedJwt' "
                "|| (!has(self.jwksUrl) && !has(self.certificateSecretRef))",
                "jwksUrl and certificateSecretRef are only for method SignedJwt",
            ),
            CelRule(
                "self.method != 'X509' || has(self.subjectDn)",
                "method X509 needs subjectDn, the DN the client certificate must have",
                field_path=".subjectDn",
            ),
            CelRule(
                "self.method == 'X509' || (!has(self.subjectDn) && !has(self.allowRegexSubjectDn))",
                "subjectDn and allowRegexSubjectDn are only for method X509",
            ),
        )
    )

    method: ClientAuthMethod = Field(
        default=ClientAuthMethod.CLIENT_SECRET,
        description=(
            "ClientSecret (client-secret), SignedJwt (client-jwt: a JWT signed with the "
            "client's own key, checked with jwksUrl or certificateSecretRef), ClientSecretJwt "
            "(client-secret-jwt: a JWT signed with the client secret) or X509 (client-x509: "
            "mutual TLS, the certificate's subject DN must match subjectDn). The credentials "
            "Secret carries client-secret only for ClientSecret and ClientSecretJwt."
        ),
    )
    jwks_url: Url | None = Field(
        default=None,
        description="SignedJwt: where Keycloak fetches the client's public keys (JWKS).",
    )
    certificate_secret_ref: SecretKeySelector | None = Field(
        default=None,
        description=(
            "SignedJwt: a Secret key holding the client's certificate (PEM, or base64 DER) "
            "whose key signs the client's JWTs. A changed Secret is re-sent."
        ),
    )
    signing_algorithm: SignatureAlgorithm | None = Field(
        default=None,
        description="SignedJwt/ClientSecretJwt: the only JWS algorithm accepted. Unset: any.",
    )
    subject_dn: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_TEXT,
        description="X509: the subject DN of the client certificate, e.g. CN=app,O=Acme.",
    )
    allow_regex_subject_dn: bool | None = Field(
        default=None, description="X509: subjectDn is a regular expression."
    )


class Logout(SpecModel):
    """How Keycloak tells the client that a user's session ended."""

    front_channel: bool | None = Field(
        default=None,
        description="Front-channel logout: the browser is sent to frontChannelUrl.",
    )
    front_channel_url: Url | None = Field(
        default=None, description="The front-channel logout URL (OIDC front-channel logout)."
    )
    front_channel_session_required: bool | None = Field(
        default=None, description="Front-channel logout requests carry sid and iss."
    )
    back_channel_url: Url | None = Field(
        default=None,
        description="The back-channel logout URL: Keycloak POSTs a logout token to it.",
    )
    back_channel_session_required: bool | None = Field(
        default=None, description="The logout token carries the session id (sid)."
    )
    back_channel_revoke_offline_sessions: bool | None = Field(
        default=None, description="A back-channel logout also revokes offline sessions."
    )


class TokenSettings(SpecModel):
    """Per-client overrides of the realm's token and session lifetimes (0 or unset: the
    realm's)."""

    access_token_lifespan: Seconds | None = Field(
        default=None, description="Access token lifetime, in seconds."
    )
    client_session_idle_timeout: Seconds | None = Field(
        default=None, description="Client session idle timeout, in seconds."
    )
    client_session_max_lifespan: Seconds | None = Field(
        default=None, description="Client session maximum lifetime, in seconds."
    )
    client_offline_session_idle_timeout: Seconds | None = Field(
        default=None, description="Offline session idle timeout for this client, in seconds."
    )
    client_offline_session_max_lifespan: Seconds | None = Field(
        default=None, description="Offline session maximum lifetime for this client, in seconds."
    )
    access_token_signature_algorithm: SignatureAlgorithm | None = Field(
        default=None, description="The algorithm access tokens are signed with (e.g. ES256)."
    )
    id_token_signature_algorithm: SignatureAlgorithm | None = Field(
        default=None, description="The algorithm ID tokens are signed with."
    )


class FlowOverrides(SpecModel):
    """Authentication flows this client uses instead of the realm's bindings, by alias.

    The aliases are resolved to the flows' ids in Keycloak; an unknown alias is
    Ready=False naming it. Unset: the realm's binding. Authoritative when the
    field is set: overrides not listed here are removed.
    """

    browser: FlowAlias | None = Field(
        default=None, description="The browser login flow's alias, e.g. browser-with-otp."
    )
    direct_grant: FlowAlias | None = Field(
        default=None, description="The direct grant (password grant) flow's alias."
    )


class Consent(SpecModel):
    """The consent screen (used when consentRequired is true)."""

    display_client_on_screen: bool | None = Field(
        default=None, description="Show the client itself on the consent screen."
    )
    screen_text: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        description="The text shown for the client on the consent screen.",
    )
