"""A realm's client scopes (with their protocol mappers and scope mappings) and the
realm's default and optional client scopes, as `KeycloakRealm` spec fields."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .base import INT32_MAX, MAX_LIST, MAX_NAME, MAX_TEXT, SpecModel, list_map, list_set
from .roles import RoleMappingSpec

ScopeName = Annotated[str, Field(min_length=1, max_length=MAX_NAME, pattern=r"^[^\s]+$")]

# Keycloak's own client scopes: listing one adjusts only the fields given; never deleted.
BUILT_IN_SCOPES = frozenset(
    {
        "acr",
        "address",
        "basic",
        "email",
        "microprofile-jwt",
        "offline_access",
        "organization",
        "phone",
        "profile",
        "role_list",
        "roles",
        "saml_organization",
        "service_account",
        "web-origins",
    }
)

CLIENT_SCOPES_DESCRIPTION = (
    "The realm's client scopes, by name, with their protocol mappers and scope mappings. "
    "Unset: not managed. Owned-only: items this resource created are removed when no longer "
    "listed; items created elsewhere are left alone. Keycloak's built-in scopes (profile, "
    "email, roles, web-origins, acr, basic, offline_access, microprofile-jwt, ...) and scopes "
    "created elsewhere may be listed: only the fields given are adjusted, they are not adopted "
    "and never deleted."
)


class ScopeProtocolMapper(SpecModel):
    """A protocol mapper of a client scope: adds a claim to the tokens of every client
    that has the scope."""

    name: str = Field(min_length=1, max_length=MAX_NAME, description="The mapper's name.")
    protocol_mapper: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        description="The mapper type, e.g. oidc-hardcoded-claim-mapper or "
        "oidc-usermodel-attribute-mapper; it must be installed on the server.",
    )
    config: dict[str, Annotated[str, Field(max_length=MAX_TEXT)]] = Field(
        default_factory=dict,
        description="The mapper's configuration, e.g. {claim.name: tier, claim.value: gold, "
        "access.token.claim: 'true'}. Only the listed keys are managed.",
    )


class ScopeMappings(RoleMappingSpec):
    """Roles mapped to the scope: a token carries them only when the client has the scope
    (and the user has the role)."""


class ClientScope(SpecModel):
    """A client scope of the realm. Unset fields are left as Keycloak has them (new
    scopes get Keycloak's defaults)."""

    name: ScopeName = Field(description="The scope's name, unique in the realm.")
    protocol: Literal["openid-connect", "saml"] | None = Field(
        default=None,
        description="openid-connect or saml. Unset: openid-connect for a new scope, else kept.",
    )
    description: str | None = Field(
        # A VARCHAR(255) column in Keycloak (longer: HTTP 500).
        default=None,
        max_length=MAX_NAME,
        description="A description shown in Keycloak.",
    )
    include_in_token_scope: bool | None = Field(
        default=None,
        description="Put the scope's name in the token's scope claim (include.in.token.scope).",
    )
    display_on_consent_screen: bool | None = Field(
        default=None, description="Show the scope on the consent screen."
    )
    consent_screen_text: str | None = Field(
        default=None, max_length=MAX_TEXT, description="The text on the consent screen."
    )
    gui_order: int | None = Field(
        default=None,
        ge=0,
        le=INT32_MAX,
        description="The scope's position in the admin console and consent screen.",
        json_schema_extra={"format": "int32"},
    )
    attributes: dict[str, Annotated[str, Field(max_length=MAX_TEXT)]] | None = Field(
        default=None,
        description="Other scope attributes. Only the listed keys are managed; typed fields "
        "take precedence.",
    )
    protocol_mappers: list[ScopeProtocolMapper] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description="The scope's protocol mappers. Unset: not managed. Authoritative: when "
        "set, anything not listed is removed.",
        json_schema_extra=list_map("name"),
    )
    scope_mappings: ScopeMappings | None = Field(
        default=None,
        description="Realm and client roles mapped to the scope. Unset: not managed. "
        "Authoritative: when set, anything not listed is removed (realm roles when realmRoles "
        "is set; a client's roles for each client listed in clientRoles).",
    )


ScopeNames = list[ScopeName]


def scope_names_field(kind: str) -> Any:
    return Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            f"The realm's {kind} client scopes, by name: new clients get them. Unset: not "
            "managed. Authoritative: when set, anything not listed is removed. Each must be a "
            "client scope of the realm (listed in clientScopes or already there)."
        ),
        json_schema_extra=list_set(),
    )
