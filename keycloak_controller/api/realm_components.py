"""A realm's key providers (`spec.keyProviders`) and other components
(`spec.components`).

Both are Keycloak components under the realm. Key providers are typed per kind
(exactly one kind block each); any other component is given by its provider
type and id with a raw config map. Secret values come from Secret keys only and
never reach the resource or its status.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import ConfigDict, Field

from .base import INT32_MAX, MAX_LIST, MAX_NAME, MAX_TEXT, SpecModel, cel, exactly_one, list_map
from .base import Rule as CelRule
from .common import SecretKeySelector

if TYPE_CHECKING:
    from .realm import KeycloakRealmSpec

KEY_PROVIDER_TYPE = "org.keycloak.keys.KeyProvider"
# Components other sections own: refused in spec.components with a pointer to them.
FOREIGN_PROVIDER_TYPES = {
    "org.keycloak.storage.UserStorageProvider": "spec.userFederation",
    "org.keycloak.storage.ldap.mappers.LDAPStorageMapper": "spec.userFederation",
    "org.keycloak.userprofile.UserProfileProvider": "spec.userProfile",
    KEY_PROVIDER_TYPE: "spec.keyProviders",
}

KEY_PROVIDERS_DESCRIPTION = (
    "The realm's key providers (signing, encryption and HMAC keys), by name; each sets "
    "exactly one kind. Unset: not managed. Owned-only: items this resource created are "
    "removed when no longer listed; items created elsewhere are left alone (the realm's "
    "default providers, e.g. rsa-generated, are never removed; listing one by its name "
    "manages the given fields)."
)
COMPONENTS_DESCRIPTION = (
    "Other realm components (client registration policies, custom SPI instances), by "
    "name. Unset: not managed. Owned-only: items this resource created are removed when "
    "no longer listed; items created elsewhere are left alone (listing one by its "
    "providerType and name manages the given config keys). User federation, LDAP mappers, "
    "the user profile and key providers have their own fields and are refused here."
)

Priority = Annotated[int, Field(ge=-INT32_MAX, le=INT32_MAX, json_schema_extra={"format": "int64"})]


class RsaAlgorithm(enum.StrEnum):
    RS256 = "RS256"
    RS384 = "RS384"
    RS512 = "RS512"
    PS256 = "PS256"
    PS384 = "PS384"
    PS512 = "PS512"


class RsaEncAlgorithm(enum.StrEnum):
    RSA_OAEP = "RSA-OAEP"
    RSA_OAEP_256 = "RSA-OAEP-256"
    RSA1_5 = "RSA1_5"


class HmacAlgorithm(enum.StrEnum):
    HS256 = "HS256"
    HS384 = "HS384"
    HS512 = "HS512"


class EcdsaCurve(enum.StrEnum):
    P256 = "P-256"
    P384 = "P-384"
    P521 = "P-521"


def _sizes(*values: int) -> Any:
    return cel(
        CelRule(
            f"self in [{', '.join(map(str, values))}]",
            f"must be one of {', '.join(map(str, values))}",
        ),
        format="int32",
    )


RSA_KEY_SIZES = (1024, 2048, 3072, 4096)
HMAC_SECRET_SIZES = (16, 24, 32, 64, 128, 256, 512)
AES_SECRET_SIZES = (16, 24, 32)


class GeneratedRsa(SpecModel):
    """An RSA key pair Keycloak generates (and keeps) for signing."""

    key_size: int | None = Field(
        default=None,
        description="Key size in bits. Unset: Keycloak's default (2048). 3072 needs Keycloak "
        "26.4+ (refused as IncompatibleVersion before).",
        json_schema_extra=_sizes(*RSA_KEY_SIZES),
    )
    algorithm: RsaAlgorithm | None = Field(
        default=None, description="Signature algorithm. Unset: RS256."
    )


class GeneratedRsaEnc(SpecModel):
    """An RSA key pair Keycloak generates for encryption (e.g. encrypted ID tokens)."""

    key_size: int | None = Field(
        default=None,
        description="Key size in bits. Unset: Keycloak's default (2048). 3072 needs Keycloak "
        "26.4+ (refused as IncompatibleVersion before).",
        json_schema_extra=_sizes(*RSA_KEY_SIZES),
    )
    algorithm: RsaEncAlgorithm | None = Field(
        default=None, description="Key encryption algorithm. Unset: RSA-OAEP."
    )


class GeneratedHmac(SpecModel):
    """An HMAC secret Keycloak generates (signs its internal tokens, e.g. action tokens)."""

    secret_size: int | None = Field(
        default=None,
        description="Secret size in bytes. Unset: Keycloak's default.",
        json_schema_extra=_sizes(*HMAC_SECRET_SIZES),
    )
    algorithm: HmacAlgorithm | None = Field(default=None, description="Unset: HS256.")


class GeneratedAes(SpecModel):
    """An AES secret Keycloak generates (encrypts its internal tokens)."""

    secret_size: int | None = Field(
        default=None,
        description="Secret size in bytes. Unset: Keycloak's default (16).",
        json_schema_extra=_sizes(*AES_SECRET_SIZES),
    )


class GeneratedEcdsa(SpecModel):
    """An elliptic-curve key pair Keycloak generates for signing (ES256/384/512)."""

    curve: EcdsaCurve | None = Field(default=None, description="The elliptic curve. Unset: P-256.")


class RsaFromSecret(SpecModel):
    """An RSA key pair from a Secret's PEM: the realm signs with a key you hold."""

    private_key_secret_ref: SecretKeySelector = Field(
        description="The PEM-encoded RSA private key (PKCS#1 or PKCS#8). A changed Secret is "
        "sent again and becomes the provider's key."
    )
    certificate_secret_ref: SecretKeySelector | None = Field(
        default=None,
        description="The PEM-encoded X.509 certificate of that key. Unset: Keycloak makes a "
        "self-signed one.",
    )
    algorithm: RsaAlgorithm | None = Field(
        default=None, description="Signature algorithm. Unset: RS256."
    )


class KeyProvider(SpecModel):
    """One key provider; unset common fields are left as Keycloak has them."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                exactly_one(
                    "rsaGenerated",
                    "rsaEncGenerated",
                    "hmacGenerated",
                    "aesGenerated",
                    "ecdsaGenerated",
                    "rsa",
                ),
                "set exactly one of rsaGenerated, rsaEncGenerated, hmacGenerated, "
                "aesGenerated, ecdsaGenerated, rsa",
            )
        )
    )

    name: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        description="The provider's name in the realm (its key in this list).",
    )
    priority: Priority | None = Field(
        default=None,
        description="Among active keys of one algorithm, the highest priority signs.",
    )
    enabled: bool | None = Field(default=None, description="The keys are loaded at all.")
    active: bool | None = Field(
        default=None,
        description="The keys sign new tokens (inactive keys still verify old ones).",
    )
    rsa_generated: GeneratedRsa | None = Field(
        default=None, description="rsa-generated: an RSA signing key Keycloak generates."
    )
    rsa_enc_generated: GeneratedRsaEnc | None = Field(
        default=None, description="rsa-enc-generated: an RSA encryption key Keycloak generates."
    )
    hmac_generated: GeneratedHmac | None = Field(
        default=None, description="hmac-generated: an HMAC secret Keycloak generates."
    )
    aes_generated: GeneratedAes | None = Field(
        default=None, description="aes-generated: an AES secret Keycloak generates."
    )
    ecdsa_generated: GeneratedEcdsa | None = Field(
        default=None, description="ecdsa-generated: an EC signing key Keycloak generates."
    )
    rsa: RsaFromSecret | None = Field(
        default=None, description="rsa: an RSA key pair from a Secret (PEM)."
    )

    def secret_refs(self) -> Iterator[SecretKeySelector]:
        if self.rsa is not None:
            yield self.rsa.private_key_secret_ref
            if self.rsa.certificate_secret_ref is not None:
                yield self.rsa.certificate_secret_ref


ConfigValue = Annotated[str, Field(max_length=MAX_TEXT)]

_FOREIGN_RULE = " && ".join(f"self.providerType != '{t}'" for t in FOREIGN_PROVIDER_TYPES)


class Component(SpecModel):
    """One realm component by provider type and id, with its raw configuration."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                _FOREIGN_RULE,
                "this providerType has its own field: user storage and LDAP mappers in "
                "spec.userFederation, the user profile in spec.userProfile, key providers "
                "in spec.keyProviders",
                field_path=".providerType",
            ),
            CelRule(
                "!has(self.config) || !has(self.configSecrets) || "
                "self.configSecrets.all(k, !(k in self.config))",
                "a key is set in config or in configSecrets, not both",
            ),
        )
    )

    name: str = Field(
        min_length=1, max_length=MAX_NAME, description="The component's name (its key here)."
    )
    provider_type: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        description="The SPI, e.g. "
        "org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy.",
    )
    provider_id: str = Field(
        min_length=1, max_length=MAX_NAME, description="The provider, e.g. trusted-hosts."
    )
    sub_type: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description="The sub-type some SPIs use (client registration policies: anonymous or "
        "authenticated).",
    )
    parent_id: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description="The parent component's id. Unset: the realm.",
    )
    config: dict[str, Annotated[list[ConfigValue], Field(max_length=MAX_LIST)]] | None = Field(
        default=None,
        max_length=64,
        description="Configuration: key to list of values (Keycloak stores lists of strings). "
        "Only the listed keys are managed.",
    )
    config_secrets: dict[str, SecretKeySelector] | None = Field(
        default=None,
        max_length=16,
        description="Secret configuration values: key to a Secret key. The value is sent to "
        "Keycloak and never stored in this resource; a changed Secret is sent again.",
    )


def key_providers_field() -> Any:
    return Field(
        default=None,
        max_length=MAX_LIST,
        description=KEY_PROVIDERS_DESCRIPTION,
        json_schema_extra=list_map("name"),
    )


def components_field() -> Any:
    return Field(
        default=None,
        max_length=MAX_LIST,
        description=COMPONENTS_DESCRIPTION,
        json_schema_extra=list_map("name"),
    )


def components_secret_refs(spec: KeycloakRealmSpec) -> Iterator[SecretKeySelector]:
    """Every Secret key the section reads (for the Secret index and watch)."""
    for provider in spec.key_providers or ():
        yield from provider.secret_refs()
    for component in spec.components or ():
        yield from (component.config_secrets or {}).values()
