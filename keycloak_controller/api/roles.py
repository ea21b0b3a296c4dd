"""Roles and role mappings, shared by realm roles, client roles and service accounts."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import MAX_LIST, MAX_NAME, SpecModel, list_set

RoleName = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]


class RoleMappingSpec(SpecModel):
    """Realm roles and client roles, by name."""

    realm_roles: list[RoleName] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description="Realm roles, by name.",
        json_schema_extra=list_set(),
    )
    client_roles: dict[str, list[RoleName]] | None = Field(
        default=None,
        description=(
            "Client roles: a map from the owning client's clientId to role names, "
            "e.g. {realm-management: [view-users]}."
        ),
    )


class RoleComposites(RoleMappingSpec):
    """The roles a composite role includes."""


class Role(SpecModel):
    """A role and, when it is composite, the roles it includes."""

    name: RoleName = Field(description="The role's name, unique among its siblings.")
    # The description and attribute values are VARCHAR(255) columns in Keycloak: a
    # longer one is an HTTP 500 there (retried forever), so it is refused here.
    description: str | None = Field(
        default=None, max_length=MAX_NAME, description="A description shown in Keycloak."
    )
    attributes: dict[str, list[Annotated[str, Field(max_length=MAX_NAME)]]] | None = Field(
        default=None, description="Role attributes: a map from name to values."
    )
    composites: RoleComposites | None = Field(
        default=None,
        description="The roles this role includes, which makes it a composite role.",
    )
