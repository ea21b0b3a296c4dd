"""Groups, default groups and default roles of a `KeycloakRealm`.

Groups are a flat list keyed by path (`/parent/child`), not a nested tree:
a CRD schema cannot be recursive (structural schemas have no `$ref`), so a
nested `subGroups` field would cap the depth, while a path reaches any depth,
reads as Keycloak shows it, and lets the apiserver refuse a duplicate path at
admission (a list-map key is unique).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from keycloak_controller.controllers.childset import Removal

from .base import MAX_LIST, MAX_NAME, SpecModel, list_map, list_set
from .roles import RoleName
from .user import GroupPath

# The description and attribute values are VARCHAR(255) columns in Keycloak: a longer
# one is an HTTP 500 there (retried forever), so it is refused here.
AttributeValue = Annotated[str, Field(max_length=MAX_NAME)]

UNSET = "Unset: not managed."


class Group(SpecModel):
    """One group, by its full path; its parent must be listed too or exist already."""

    path: GroupPath = Field(
        description=(
            "The group's full path, e.g. /engineering/backend: the last segment is its name, "
            "the rest its parent's path."
        )
    )
    description: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description=(
            "A description shown in Keycloak (Keycloak 26.3+; dropped with a warning on older "
            "servers). Unset: not managed."
        ),
    )
    attributes: dict[str, list[AttributeValue]] | None = Field(
        default=None,
        description=(
            "Group attributes: a map from name to values (members see them in tokens through "
            f"mappers). {UNSET} {Removal.ADDITIVE.description}"
        ),
    )
    realm_roles: list[RoleName] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            "Realm roles granted to the group's members. "
            f"{UNSET} {Removal.AUTHORITATIVE.description}"
        ),
        json_schema_extra=list_set(),
    )
    client_roles: dict[str, list[RoleName]] | None = Field(
        default=None,
        description=(
            "Client roles granted to the group's members: a map from the owning client's "
            f"clientId to role names. {UNSET} For each client listed: "
            f"{Removal.AUTHORITATIVE.description} Other clients' roles are left alone."
        ),
    )


GROUPS_DESCRIPTION = (
    "Groups and subgroups, keyed by path. "
    f"{UNSET} {Removal.OWNED_ONLY.description} A group this resource created carries the "
    "group attribute keycloak-controller.dev/owner; a created group that still holds "
    "subgroups made elsewhere is kept."
)
GROUPS_EXTRA = list_map("path")


class DefaultRoles(SpecModel):
    """The roles of the realm's default-roles-<realm> composite, which every user gets."""

    realm_roles: list[RoleName] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            "Realm roles every user gets, e.g. [offline_access, uma_authorization]. "
            f"{UNSET} {Removal.AUTHORITATIVE.description}"
        ),
        json_schema_extra=list_set(),
    )
    client_roles: dict[str, list[RoleName]] | None = Field(
        default=None,
        description=(
            "Client roles every user gets: a map from clientId to role names, e.g. "
            f"{{account: [view-profile, manage-account]}}. {UNSET} For each client listed: "
            f"{Removal.AUTHORITATIVE.description} Other clients' roles are left alone."
        ),
    )


DEFAULT_GROUPS_DESCRIPTION = (
    "Groups every new user joins, by path; each must be a group (listed in groups or made "
    f"elsewhere). {UNSET} {Removal.AUTHORITATIVE.description}"
)
DEFAULT_ROLES_DESCRIPTION = (
    "The realm's default roles (the default-roles-<realm> composite role). " + UNSET
)
DEFAULT_GROUPS_EXTRA = list_set()
__all__ = [
    "DEFAULT_GROUPS_DESCRIPTION",
    "DEFAULT_GROUPS_EXTRA",
    "DEFAULT_ROLES_DESCRIPTION",
    "GROUPS_DESCRIPTION",
    "GROUPS_EXTRA",
    "DefaultRoles",
    "Group",
    "GroupPath",
]
