"""The realm's declarative user profile (`spec.userProfile`).

Keycloak keeps the user profile as one document (UPConfig): attributes with
their validations, permissions and annotations, attribute groups, and the
policy for attributes the profile does not declare. The policy here:
- a listed attribute (or group) is created, or its given fields are kept equal;
  fields not given are left as Keycloak has them;
- an attribute or group not listed is kept, unless `authoritative: true`, which
  removes it; the built-in attributes (username, email, firstName, lastName)
  are never removed;
- `unmanagedAttributePolicy` is managed when set.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any

from pydantic import Field, WithJsonSchema

from keycloak_controller.controllers.childset import Removal

from .base import MAX_LIST, MAX_NAME, MAX_TEXT, SpecModel, list_map, list_set

Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME, pattern=r"^[A-Za-z0-9_.\-]+$")]
ShortText = Annotated[str, Field(max_length=MAX_NAME)]
Text = Annotated[str, Field(max_length=MAX_TEXT)]
# Any JSON object per key, kept as given (validator and annotation settings).
JsonObjects = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {"type": "object", "maxProperties": 64, "x-kubernetes-preserve-unknown-fields": True}
    ),
]

BUILT_IN_ATTRIBUTES = ("username", "email", "firstName", "lastName")
UNSET = "Unset: not managed."


class UnmanagedAttributePolicy(enum.StrEnum):
    """What happens to user attributes the profile does not declare."""

    DISABLED = "DISABLED"  # Keycloak's default: no policy in the document
    ENABLED = "ENABLED"
    ADMIN_VIEW = "ADMIN_VIEW"
    ADMIN_EDIT = "ADMIN_EDIT"


class AttributePermissions(SpecModel):
    """Who may see and edit the attribute: `admin` and/or `user`."""

    view: list[ShortText] | None = Field(
        default=None, max_length=8, description="Who may see it.", json_schema_extra=list_set()
    )
    edit: list[ShortText] | None = Field(
        default=None, max_length=8, description="Who may edit it.", json_schema_extra=list_set()
    )


class AttributeRequired(SpecModel):
    """When the attribute is required; empty: always."""

    roles: list[ShortText] | None = Field(
        default=None,
        max_length=8,
        description="Required for these roles (admin, user).",
        json_schema_extra=list_set(),
    )
    scopes: list[ShortText] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description="Required only when one of these client scopes is requested.",
        json_schema_extra=list_set(),
    )


class AttributeSelector(SpecModel):
    """When the attribute is part of the profile at all."""

    scopes: list[ShortText] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description="Only when one of these client scopes is requested.",
        json_schema_extra=list_set(),
    )


class ProfileAttribute(SpecModel):
    """One user attribute; fields not given are left as Keycloak has them."""

    name: Name = Field(description="The attribute's name, e.g. employeeNumber.")
    display_name: Text | None = Field(
        default=None, description="The label, or a message key such as ${profile.attributes.x}."
    )
    validations: JsonObjects | None = Field(
        default=None,
        description=(
            "Validators by name with their settings, e.g. {length: {min: 1, max: 10}, "
            "pattern: {pattern: '^[0-9]+$', error-message: not-a-number}}. Kept equal as a "
            "whole when set."
        ),
    )
    annotations: JsonObjects | None = Field(
        default=None,
        description="UI annotations, e.g. {inputType: text}. Kept equal as a whole when set.",
    )
    required: AttributeRequired | None = Field(
        default=None, description="When the attribute is required. Unset: as Keycloak has it."
    )
    permissions: AttributePermissions | None = Field(
        default=None, description="Who may see and edit it."
    )
    selector: AttributeSelector | None = Field(
        default=None, description="When it is part of the profile."
    )
    group: ShortText | None = Field(default=None, description="The attribute group it is shown in.")
    multivalued: bool | None = Field(default=None, description="It may hold several values.")


class ProfileGroup(SpecModel):
    """A group of attributes, shown together."""

    name: Name = Field(description="The group's name, e.g. user-metadata.")
    display_header: Text | None = Field(default=None, description="Its heading.")
    display_description: Text | None = Field(default=None, description="Its description.")
    annotations: JsonObjects | None = Field(default=None, description="UI annotations.")


class UserProfile(SpecModel):
    """The declarative user profile (one document in Keycloak)."""

    authoritative: bool = Field(
        default=False,
        description=(
            "Remove attributes and groups that are not listed (never username, email, "
            "firstName, lastName). False: they are kept."
        ),
    )
    unmanaged_attribute_policy: UnmanagedAttributePolicy | None = Field(
        default=None,
        description=(
            "User attributes the profile does not declare: DISABLED (Keycloak's default), "
            f"ENABLED, ADMIN_VIEW or ADMIN_EDIT. {UNSET}"
        ),
    )
    attributes: list[ProfileAttribute] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            f"Attributes, by name. {UNSET} Listed attributes are kept equal in the fields "
            "given; unlisted ones are kept unless authoritative is true."
        ),
        json_schema_extra=list_map("name"),
    )
    groups: list[ProfileGroup] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            f"Attribute groups, by name. {UNSET} Listed groups are kept equal in the fields "
            "given; unlisted ones are kept unless authoritative is true (and no attribute "
            "left uses them)."
        ),
        json_schema_extra=list_map("name"),
    )


USER_PROFILE_DESCRIPTION = (
    "The declarative user profile: attributes with validations, permissions and annotations, "
    "attribute groups, and the unmanaged-attribute policy. "
    f"{UNSET} {Removal.ADDITIVE.description} Unless authoritative is true, which removes "
    "what is not listed (except the built-in attributes username, email, firstName, lastName)."
)
