"""The `saml:` block of a `KeycloakClient` with `protocol: saml`.

The client's entity id is its clientId. Keycloak keeps these settings as client
attributes (`saml_assertion_consumer_url_post`, `saml.server.signature`, ...,
see `SamlConfigAttributes`/`SamlProtocol` in Keycloak); the controller writes
them from these fields. Unset fields are left as Keycloak has them (Keycloak's
defaults for a new SAML client: documents signed with RSA_SHA256, client
signatures required, POST binding forced, name id format username).
"""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import ConfigDict, Field

from .base import INT32_MAX, MAX_NAME, MAX_URL, SpecModel, cel
from .base import Rule as CelRule
from .common import SecretKeySelector

Url = Annotated[str, Field(min_length=1, max_length=MAX_URL)]


class SamlSignatureAlgorithm(enum.StrEnum):
    """The XML signature algorithm of documents and assertions Keycloak signs."""

    RSA_SHA1 = "RSA_SHA1"
    RSA_SHA256 = "RSA_SHA256"
    RSA_SHA256_MGF1 = "RSA_SHA256_MGF1"
    RSA_SHA512 = "RSA_SHA512"
    RSA_SHA512_MGF1 = "RSA_SHA512_MGF1"
    DSA_SHA1 = "DSA_SHA1"


class Canonicalization(enum.StrEnum):
    """The XML canonicalization method of signatures."""

    EXCLUSIVE = "Exclusive"
    EXCLUSIVE_WITH_COMMENTS = "ExclusiveWithComments"
    INCLUSIVE = "Inclusive"
    INCLUSIVE_WITH_COMMENTS = "InclusiveWithComments"


CANONICALIZATION_URIS: dict[Canonicalization, str] = {
    Canonicalization.EXCLUSIVE: "http://www.w3.org/2001/10/xml-exc-c14n#",
    Canonicalization.EXCLUSIVE_WITH_COMMENTS: "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    Canonicalization.INCLUSIVE: "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    Canonicalization.INCLUSIVE_WITH_COMMENTS: (
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
    ),
}


class NameIdFormat(enum.StrEnum):
    """The subject NameID Keycloak puts in assertions."""

    USERNAME = "username"
    EMAIL = "email"
    TRANSIENT = "transient"
    PERSISTENT = "persistent"


class SigningKeyName(enum.StrEnum):
    """What the KeyName of Keycloak's signatures' KeyInfo carries."""

    NONE = "NONE"
    KEY_ID = "KEY_ID"
    CERT_SUBJECT = "CERT_SUBJECT"


class SamlEndpoints(SpecModel):
    """A service URL per SAML binding."""

    post: Url | None = Field(default=None, description="The HTTP-POST binding URL.")
    redirect: Url | None = Field(default=None, description="The HTTP-Redirect binding URL.")
    artifact: Url | None = Field(default=None, description="The HTTP-Artifact binding URL.")


class SamlSettings(SpecModel):
    """SAML 2.0 service provider settings (only with protocol: saml)."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                "!has(self.clientSignatureRequired) || !self.clientSignatureRequired "
                "|| has(self.signingCertificateSecretRef)",
                "clientSignatureRequired: true needs signingCertificateSecretRef, the "
                "certificate the service provider signs its requests with",
                field_path=".signingCertificateSecretRef",
            ),
            CelRule(
                "!has(self.encryptAssertions) || !self.encryptAssertions "
                "|| has(self.encryptionCertificateSecretRef)",
                "encryptAssertions: true needs encryptionCertificateSecretRef, the service "
                "provider's encryption certificate",
                field_path=".encryptionCertificateSecretRef",
            ),
        )
    )

    assertion_consumer_service: SamlEndpoints | None = Field(
        default=None,
        description="Where Keycloak sends SAML responses, per binding (ACS URLs).",
    )
    single_logout_service: SamlEndpoints | None = Field(
        default=None, description="Where Keycloak sends logout requests, per binding."
    )
    master_saml_processing_url: Url | None = Field(
        default=None,
        description=(
            "One URL for every SAML endpoint of the service provider (Keycloak's adminUrl "
            "of a SAML client); per-binding URLs take precedence."
        ),
    )
    idp_initiated_sso_url_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_NAME,
        pattern=r"^[A-Za-z0-9._~-]+$",
        description=(
            "Enables IdP-initiated login at /realms/<realm>/protocol/saml/clients/<this name>."
        ),
    )
    idp_initiated_sso_relay_state: str | None = Field(
        default=None, max_length=MAX_NAME, description="RelayState sent with IdP-initiated SSO."
    )
    force_post_binding: bool | None = Field(
        default=None, description="Always answer with the POST binding, whatever was asked."
    )
    front_channel_logout: bool | None = Field(
        default=None, description="Logout through the browser (front channel)."
    )
    name_id_format: NameIdFormat | None = Field(
        default=None, description="The NameID format: username, email, transient or persistent."
    )
    force_name_id_format: bool | None = Field(
        default=None, description="Ignore the NameID format the request asks for."
    )
    include_authn_statement: bool | None = Field(
        default=None, description="Assertions carry an AuthnStatement."
    )
    assertion_lifespan: Annotated[int, Field(ge=0, le=INT32_MAX)] | None = Field(
        default=None, description="Assertion validity, in seconds (0: the realm's)."
    )
    sign_documents: bool | None = Field(
        default=None, description="Keycloak signs the whole SAML document (samlp:Response)."
    )
    sign_assertions: bool | None = Field(default=None, description="Keycloak signs each assertion.")
    signature_algorithm: SamlSignatureAlgorithm | None = Field(
        default=None, description="The signature algorithm, e.g. RSA_SHA256."
    )
    canonicalization_method: Canonicalization | None = Field(
        default=None, description="The signatures' canonicalization method."
    )
    signing_key_name: SigningKeyName | None = Field(
        default=None, description="What the signatures' KeyInfo KeyName carries."
    )
    client_signature_required: bool | None = Field(
        default=None,
        description=(
            "The service provider must sign its requests; Keycloak checks them with "
            "signingCertificateSecretRef."
        ),
    )
    signing_certificate_secret_ref: SecretKeySelector | None = Field(
        default=None,
        description=(
            "A Secret key holding the service provider's signing certificate (PEM, or base64 "
            "DER). A changed Secret is re-sent."
        ),
    )
    encrypt_assertions: bool | None = Field(
        default=None,
        description="Keycloak encrypts assertions with encryptionCertificateSecretRef.",
    )
    encryption_certificate_secret_ref: SecretKeySelector | None = Field(
        default=None,
        description=(
            "A Secret key holding the service provider's encryption certificate (PEM, or "
            "base64 DER)."
        ),
    )
