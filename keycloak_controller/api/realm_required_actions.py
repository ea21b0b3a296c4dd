"""A realm's required actions (`spec.requiredActions`), by alias."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from .base import INT32_MAX, MAX_LIST, MAX_NAME, MAX_TEXT, SpecModel, list_map

REQUIRED_ACTIONS_DESCRIPTION = (
    "Required actions of the realm (built-in or installed providers), by alias. Unset: not "
    "managed. Additive: listed items are kept as listed; nothing is ever removed. An installed "
    "provider that is not registered in the realm yet is registered."
)


class RequiredAction(SpecModel):
    """One required action; unset fields are left as Keycloak has them."""

    alias: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        description="The action's alias, e.g. CONFIGURE_TOTP, TERMS_AND_CONDITIONS, "
        "UPDATE_PASSWORD, VERIFY_EMAIL, delete_account, webauthn-register.",
    )
    provider_id: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description="The provider to register when the action is not registered yet. "
        "Unset: the alias.",
    )
    name: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description="The display name given when registering. Unset: the provider's.",
    )
    enabled: bool | None = Field(default=None, description="Users can be asked to do it.")
    default_action: bool | None = Field(
        default=None, description="New users get the action (it must be enabled)."
    )
    priority: int | None = Field(
        default=None,
        ge=0,
        le=INT32_MAX,
        description="Order among the required actions (lower first).",
        json_schema_extra={"format": "int32"},
    )
    config: dict[str, Annotated[str, Field(max_length=MAX_TEXT)]] | None = Field(
        default=None,
        description="The action's configuration, e.g. {max_auth_age: '300'} for "
        "UPDATE_PASSWORD. Only the listed keys are managed. Keycloak 25+: refused "
        "(IncompatibleVersion) on older servers.",
    )


def required_actions_field() -> Any:
    return Field(
        default=None,
        max_length=MAX_LIST,
        description=REQUIRED_ACTIONS_DESCRIPTION,
        json_schema_extra=list_map("alias"),
    )
