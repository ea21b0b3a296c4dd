"""A realm's identity providers (`spec.identityProviders`), by alias, and their mappers.

Layered: the identity (`alias`, `providerId`), the settings every provider has
(display name, login behaviour, sync mode, broker login flows), one typed block
per provider type (`oidc` for oidc and keycloak-oidc, `saml`, `social` for
google, github and microsoft) naming the config keys users commonly set, and two
escape hatches: `config` for any other config key, `configSecrets` for config
keys whose value comes from a Secret. Secret values never reach the CR, its
status or Keycloak's reads back (Keycloak masks them); a digest beside them
shows a rotation.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from keycloak_controller.controllers.childset import Removal

from .base import MAX_LIST, MAX_NAME, MAX_TEXT, MAX_URL, SpecModel, cel, exactly_one, list_map
from .base import Rule as CelRule
from .common import SecretKeySelector

ConfigValue = Annotated[str, Field(max_length=MAX_TEXT)]
Url = Annotated[str, Field(min_length=1, max_length=MAX_URL)]


class ProviderType(enum.StrEnum):
    """The identity provider implementations this field types."""

    OIDC = "oidc"
    KEYCLOAK_OIDC = "keycloak-oidc"
    SAML = "saml"
    GOOGLE = "google"
    GITHUB = "github"
    MICROSOFT = "microsoft"


OIDC_TYPES = frozenset({ProviderType.OIDC, ProviderType.KEYCLOAK_OIDC})
SOCIAL_TYPES = frozenset({ProviderType.GOOGLE, ProviderType.GITHUB, ProviderType.MICROSOFT})


class SyncMode(enum.StrEnum):
    """When the provider's data is copied onto the Keycloak user."""

    IMPORT = "IMPORT"  # on the first login only
    LEGACY = "LEGACY"  # as Keycloak did before sync modes existed
    FORCE = "FORCE"  # on every login


class MapperSyncMode(enum.StrEnum):
    INHERIT = "INHERIT"  # the provider's sync mode
    IMPORT = "IMPORT"
    LEGACY = "LEGACY"
    FORCE = "FORCE"


class ClientAuthMethod(enum.StrEnum):
    # Method names, not secrets.
    CLIENT_SECRET_POST = "client_secret_post"  # noqa: S105
    CLIENT_SECRET_BASIC = "client_secret_basic"  # noqa: S105
    CLIENT_SECRET_JWT = "client_secret_jwt"  # noqa: S105
    PRIVATE_KEY_JWT = "private_key_jwt"


class PkceMethod(enum.StrEnum):
    S256 = "S256"
    PLAIN = "plain"


class OidcSettings(SpecModel):
    """An OpenID Connect provider (providerId oidc or keycloak-oidc). Unset fields are
    left as Keycloak has them."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                "!has(self.pkceEnabled) || !self.pkceEnabled || has(self.pkceMethod)",
                "pkceEnabled needs a pkceMethod (S256 or plain)",
            )
        )
    )

    authorization_url: Url = Field(description="The authorization endpoint.")
    token_url: Url = Field(description="The token endpoint.")
    user_info_url: Url | None = Field(default=None, description="The userinfo endpoint.")
    jwks_url: Url | None = Field(default=None, description="The JWKS endpoint (keys).")
    logout_url: Url | None = Field(default=None, description="The end-session endpoint.")
    issuer: Url | None = Field(default=None, description="The expected `iss` of its tokens.")
    client_id: str = Field(
        min_length=1, max_length=MAX_NAME, description="This realm's client id at the provider."
    )
    client_secret_ref: SecretKeySelector | None = Field(
        default=None,
        description="The client secret, from a Secret key (the same as "
        "configSecrets.clientSecret). A changed Secret is sent again.",
    )
    client_auth_method: ClientAuthMethod | None = Field(
        default=None, description="How this realm authenticates at the token endpoint."
    )
    default_scopes: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        description="Scopes asked for, space separated (config key defaultScope).",
    )
    validate_signature: bool | None = Field(
        default=None, description="Validate the signatures of its tokens."
    )
    use_jwks_url: bool | None = Field(default=None, description="Fetch its keys from jwksUrl.")
    pkce_enabled: bool | None = Field(default=None, description="Use PKCE.")
    pkce_method: PkceMethod | None = Field(
        default=None, description="The PKCE method (Keycloak requires one with pkceEnabled)."
    )
    disable_user_info: bool | None = Field(default=None, description="Skip the userinfo call.")
    backchannel_supported: bool | None = Field(
        default=None, description="It supports backchannel logout."
    )


class SamlSettings(SpecModel):
    """A SAML 2.0 provider (providerId saml). Unset fields are left as Keycloak has them."""

    single_sign_on_service_url: Url = Field(description="The provider's SSO service URL.")
    single_logout_service_url: Url | None = Field(
        default=None, description="The provider's single logout URL."
    )
    entity_id: str | None = Field(
        default=None, max_length=MAX_URL, description="This realm's entity id (as SP)."
    )
    idp_entity_id: str | None = Field(
        default=None, max_length=MAX_URL, description="The provider's entity id (expected issuer)."
    )
    name_id_policy_format: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description="The NameID format asked for, e.g. "
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent.",
    )
    principal_type: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description="Where the user is identified: SUBJECT, ATTRIBUTE or FRIENDLY_ATTRIBUTE.",
        json_schema_extra={"enum": ["SUBJECT", "ATTRIBUTE", "FRIENDLY_ATTRIBUTE"]},
    )
    principal_attribute: str | None = Field(
        default=None, max_length=MAX_NAME, description="The attribute for ATTRIBUTE types."
    )
    want_authn_requests_signed: bool | None = Field(
        default=None, description="Sign the authentication requests."
    )
    want_assertions_signed: bool | None = Field(
        default=None, description="Require signed assertions."
    )
    validate_signature: bool | None = Field(
        default=None, description="Validate the provider's signatures."
    )
    signing_certificate: str | None = Field(
        default=None,
        max_length=MAX_TEXT * 4,
        description="The provider's signing certificate(s), PEM without headers.",
    )
    post_binding_response: bool | None = Field(default=None, description="HTTP-POST responses.")
    post_binding_authn_request: bool | None = Field(
        default=None, description="HTTP-POST authentication requests."
    )


class SocialSettings(SpecModel):
    """A social provider (google, github, microsoft). Unset fields are left as Keycloak
    has them."""

    client_id: str = Field(
        min_length=1, max_length=MAX_NAME, description="This realm's client id at the provider."
    )
    client_secret_ref: SecretKeySelector | None = Field(
        default=None,
        description="The client secret, from a Secret key (the same as "
        "configSecrets.clientSecret). A changed Secret is sent again.",
    )
    default_scopes: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        description="Scopes asked for, space separated (config key defaultScope).",
    )


class HardcodedRole(SpecModel):
    role: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        description="The role every brokered user gets: a realm role name, or "
        "<clientId>.<role> for a client role.",
    )


class AttributeImporter(SpecModel):
    source: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        description="Where the value comes from: the claim (oidc, keycloak-oidc), the "
        "attribute name (saml) or the JSON field of the profile (google, github, microsoft).",
    )
    user_attribute: str = Field(
        min_length=1, max_length=MAX_NAME, description="The user attribute it is stored in."
    )


class ClaimToRole(SpecModel):
    claim: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        description="The claim (oidc, keycloak-oidc) or attribute name (saml) to look at.",
    )
    claim_value: str = Field(max_length=MAX_TEXT, description="The value it must have.")
    role: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        description="The role granted when it does: a realm role, or <clientId>.<role>.",
    )


class IdentityProviderMapper(SpecModel):
    """One mapper of a provider, by name: exactly one of the typed kinds, or any mapper by
    its identityProviderMapper id with its config."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                exactly_one(
                    "hardcodedRole", "attributeImporter", "claimToRole", "identityProviderMapper"
                ),
                "set exactly one of hardcodedRole, attributeImporter, claimToRole or "
                "identityProviderMapper",
            )
        )
    )

    name: str = Field(min_length=1, max_length=MAX_NAME, description="The mapper's name.")
    sync_mode: MapperSyncMode | None = Field(
        default=None,
        description="When it applies; INHERIT takes the provider's sync mode. Unset: a new "
        "mapper gets INHERIT, an existing one keeps its own.",
    )
    hardcoded_role: HardcodedRole | None = Field(
        default=None, description="Grant a role (oidc-hardcoded-role-idp-mapper)."
    )
    attribute_importer: AttributeImporter | None = Field(
        default=None,
        description="Copy a claim or attribute to a user attribute (oidc-user-attribute-"
        "idp-mapper, saml-user-attribute-idp-mapper or <provider>-user-attribute-mapper, "
        "after the provider's type).",
    )
    claim_to_role: ClaimToRole | None = Field(
        default=None,
        description="Grant a role when a claim has a value (oidc-role-idp-mapper; "
        "saml-role-idp-mapper for saml).",
    )
    identity_provider_mapper: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description="Any other mapper, by its type id (e.g. oidc-advanced-group-idp-mapper); "
        "its settings go in config.",
    )
    config: dict[str, ConfigValue] | None = Field(
        default=None,
        description="Config keys of the mapper, beside (or instead of) the typed ones. Only "
        "the listed keys are managed.",
    )


IDENTITY_PROVIDERS_DESCRIPTION = (
    "The realm's identity providers, by alias. Unset: not managed. "
    f"{Removal.OWNED_ONLY.description} A provider this resource created carries the config "
    "key keycloak-controller.dev/owner. A first or post broker login flow must exist (or be "
    "created by spec.authenticationFlows)."
)

MAPPERS_DESCRIPTION = (
    f"The provider's mappers, by name. Unset: not managed. {Removal.AUTHORITATIVE.description}"
)


class IdentityProvider(SpecModel):
    """One identity provider; unset fields are left as Keycloak has them."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                "(self.providerId in ['oidc', 'keycloak-oidc']) == has(self.oidc)",
                "set oidc exactly when providerId is oidc or keycloak-oidc",
            ),
            CelRule(
                "(self.providerId == 'saml') == has(self.saml)",
                "set saml exactly when providerId is saml",
            ),
            CelRule(
                "(self.providerId in ['google', 'github', 'microsoft']) == has(self.social)",
                "set social exactly when providerId is google, github or microsoft",
            ),
        )
    )

    alias: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        pattern=r"^[a-zA-Z0-9._-]+$",
        description="The provider's alias: its key, part of its redirect URI "
        "(/realms/<realm>/broker/<alias>/endpoint). Immutable.",
        json_schema_extra=cel(
            CelRule(
                "self == oldSelf",
                "alias is immutable; add a new provider to change it",
                reason="FieldValueForbidden",
            )
        ),
    )
    provider_id: ProviderType = Field(
        description="The provider's type: oidc, keycloak-oidc, saml, google, github or "
        "microsoft. Immutable.",
        json_schema_extra=cel(
            CelRule(
                "self == oldSelf",
                "providerId is immutable; add a new provider to change it",
                reason="FieldValueForbidden",
            )
        ),
    )
    display_name: str | None = Field(
        default=None, max_length=MAX_NAME, description="The name on the login page."
    )
    enabled: bool | None = Field(default=None, description="Users can log in through it.")
    hide_on_login: bool | None = Field(
        default=None,
        description="Not shown on the login page (still usable with kc_idp_hint). Sent as the "
        "config key hideOnLoginPage to Keycloak 24 and 25.",
    )
    trust_email: bool | None = Field(
        default=None, description="Emails it provides are taken as verified."
    )
    store_token: bool | None = Field(default=None, description="Store its tokens.")
    add_read_token_role_on_create: bool | None = Field(
        default=None, description="New users may read the stored tokens (broker read-token)."
    )
    link_only: bool | None = Field(
        default=None, description="Only for linking existing accounts, never for logging in."
    )
    sync_mode: SyncMode | None = Field(
        default=None, description="IMPORT, LEGACY or FORCE (the config key syncMode)."
    )
    first_broker_login_flow_alias: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description="The flow run on a user's first login through it, by alias.",
    )
    post_broker_login_flow_alias: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description="A flow run after every login through it, by alias ('' for none).",
    )
    oidc: OidcSettings | None = Field(
        default=None, description="OpenID Connect settings (oidc, keycloak-oidc)."
    )
    saml: SamlSettings | None = Field(default=None, description="SAML settings (saml).")
    social: SocialSettings | None = Field(
        default=None, description="Social provider settings (google, github, microsoft)."
    )
    config: dict[str, ConfigValue] | None = Field(
        default=None,
        description="Other config keys of the provider (e.g. guiOrder, allowedClockSkew). A "
        "key the typed fields set is refused; secrets belong in configSecrets. Only the "
        "listed keys are managed.",
    )
    config_secrets: dict[str, SecretKeySelector] | None = Field(
        default=None,
        description="Config keys whose values come from Secret keys, e.g. "
        "{clientSecret: {name, key}}. Keycloak masks them on read; a digest in the config "
        "key keycloak-controller.dev/digest.<key> shows a changed Secret, which is sent again.",
    )
    mappers: list[IdentityProviderMapper] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=MAPPERS_DESCRIPTION,
        json_schema_extra=list_map("name"),
    )

    def secret_refs(self) -> dict[str, SecretKeySelector]:
        """Config key -> the Secret key that holds its value."""
        refs = dict(self.config_secrets or {})
        typed = self.oidc or self.social
        if typed is not None and typed.client_secret_ref is not None:
            refs.setdefault("clientSecret", typed.client_secret_ref)
        return refs


def identity_providers_field() -> Any:
    return Field(
        default=None,
        max_length=MAX_LIST,
        description=IDENTITY_PROVIDERS_DESCRIPTION,
        json_schema_extra=list_map("alias"),
    )


def identity_providers_secret_refs(
    spec: Iterable[IdentityProvider] | None,
) -> Iterator[SecretKeySelector]:
    """Every Secret key the section reads (for the Secret index and watch)."""
    for provider in spec or ():
        yield from provider.secret_refs().values()
