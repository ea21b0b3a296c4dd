"""A realm's organizations (Keycloak 26+, a preview feature in 25) as `KeycloakRealm`
spec fields."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from .base import MAX_LIST, MAX_NAME, MAX_TEXT, SpecModel, list_map

ORGANIZATIONS_DESCRIPTION = (
    "The realm's organizations, by name (Keycloak 26+; 25 needs the server's "
    "--features=organization; refused as IncompatibleVersion on 24). Needs "
    "organizationsEnabled. Unset: not managed. Owned-only: items this resource created are "
    "removed when no longer listed; items created elsewhere are left alone."
)


class OrganizationDomain(SpecModel):
    """An internet domain of the organization."""

    name: str = Field(min_length=1, max_length=MAX_NAME, description="The domain, e.g. acme.com.")
    verified: bool = Field(default=False, description="The domain is verified.")


class OrganizationIdentityProvider(SpecModel):
    """An identity provider of the realm linked to the organization."""

    alias: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        description="The provider's alias (listed in spec.identityProviders or made elsewhere). "
        "A provider can be linked to one organization only.",
    )
    domain: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description="The organization's domain this provider serves (the provider's config "
        "key kc.org.domain); one of the organization's domains. Unset: not managed.",
    )
    redirect_when_email_domain_matches: bool | None = Field(
        default=None,
        description="Users whose email matches the domain go straight to this provider (the "
        "config key kc.org.broker.redirect.mode.email-matches). Unset: not managed.",
    )


class Organization(SpecModel):
    """An organization; unset fields are left as Keycloak has them."""

    name: str = Field(min_length=1, max_length=MAX_NAME, description="The name, unique.")
    alias: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description="The alias (Keycloak 26+; not sent to 25). Keycloak does not allow "
        "changing it once set.",
    )
    description: str | None = Field(default=None, max_length=MAX_TEXT, description="Description.")
    enabled: bool | None = Field(default=None, description="Members can log in through it.")
    domains: list[OrganizationDomain] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description="The organization's domains. Unset: not managed. Authoritative: when set, "
        "anything not listed is removed.",
        json_schema_extra=list_map("name"),
    )
    # Organization attributes are group attributes in Keycloak: VARCHAR(255) values.
    attributes: dict[str, list[Annotated[str, Field(max_length=MAX_NAME)]]] | None = Field(
        default=None,
        description="Attributes: a map from name to values. Only the listed keys are managed.",
    )
    identity_providers: list[OrganizationIdentityProvider] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description="The realm's identity providers linked to the organization, by alias "
        "(its members can log in through them). Unset: not managed. Authoritative: when set, "
        "anything not listed is removed (unlinked; the provider itself stays).",
        json_schema_extra=list_map("alias"),
    )


def organizations_field() -> Any:
    return Field(
        default=None,
        max_length=MAX_LIST,
        description=ORGANIZATIONS_DESCRIPTION,
        json_schema_extra=list_map("name"),
    )


def organizations_enabled_field() -> Any:
    return Field(
        default=None,
        description="Enable organizations in the realm (Keycloak 26+, preview in 25). Unset: "
        "not managed.",
    )
