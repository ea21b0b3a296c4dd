"""Required actions, the realm's own message texts and the user profile as spec fields.

Each leaves out what a new realm has (`defaults`): a required action only with
the fields that differ from a new realm's (an action a new realm lacks with
its provider and name, so the controller registers it), message texts of the
locales that have any, and the user profile's attributes and groups that are
not a new realm's as they are (`unmanagedAttributePolicy` when set).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from keycloak_controller.api.realm_required_actions import RequiredAction
from keycloak_controller.api.realm_user_profile import ProfileAttribute, ProfileGroup, UserProfile
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import RequiredActionProviderRepresentation, UPConfig
from keycloak_controller.keycloak.resources.base import to_json

from . import defaults


def export_required_action(have: RequiredActionProviderRepresentation) -> RequiredAction | None:
    """None when the action is as a new realm has it."""
    alias = have.alias or ""
    fresh = defaults.REQUIRED_ACTIONS.get(alias)
    enabled, default_action = bool(have.enabled), bool(have.default_action)
    config = {k: v for k, v in (have.config or {}).items()} or None
    if fresh is None:
        return RequiredAction(
            alias=alias,
            provider_id=have.provider_id if have.provider_id != alias else None,
            name=have.name or None,
            enabled=enabled,
            default_action=default_action,
            priority=have.priority,
            config=config,
        )
    fields: dict[str, Any] = {}
    if enabled != fresh[0]:
        fields["enabled"] = enabled
    if default_action != fresh[1]:
        fields["default_action"] = default_action
    if have.priority is not None and have.priority != fresh[2]:
        fields["priority"] = have.priority
    if config:
        fields["config"] = config
    return RequiredAction(alias=alias, **fields) if fields else None


def export_required_actions(
    actions: Iterable[RequiredActionProviderRepresentation],
) -> list[RequiredAction] | None:
    out = [a for a in (export_required_action(h) for h in actions) if a is not None]
    return sorted(out, key=lambda a: a.alias) or None


def export_messages(admin: KeycloakAdmin, realm: str) -> dict[str, dict[str, str]] | None:
    """The realm's own texts, by locale (only locales that have some)."""
    out = {}
    for locale in sorted(admin.realms.localization_locales(realm)):
        texts = admin.realms.localization_texts(realm, locale)
        if texts:
            out[locale] = dict(sorted(texts.items()))
    return out or None


def _aliases(model: type[ProfileAttribute] | type[ProfileGroup]) -> set[str]:
    return {f.alias or n for n, f in model.model_fields.items()}


def export_user_profile(have: UPConfig, untyped: list[str]) -> UserProfile | None:
    """Attributes and groups a new realm lacks, or has otherwise, each given whole. Keys
    the spec does not type (e.g. an attribute's defaultValue), and a new realm's keys an
    attribute no longer has, are named in `untyped`."""
    doc = to_json(have)

    def typed(item: dict[str, Any], model: type[ProfileAttribute] | type[ProfileGroup]) -> Any:
        allowed = _aliases(model)
        untyped.extend(f"{item.get('name')}.{k}" for k in item if k not in allowed)
        return {k: v for k, v in item.items() if k in allowed}

    attributes: list[dict[str, Any]] = []
    for a in doc.get("attributes") or ():
        fresh = defaults.USER_PROFILE_ATTRIBUTES.get(a.get("name", ""))
        if fresh == a:
            continue
        # A listed attribute's fields left unset are kept as they are: one a new realm's
        # attribute has but this one lost (e.g. `required`) cannot be said; named.
        untyped.extend(f"{a.get('name')}.{k} (removed)" for k in fresh or () if k not in a)
        attributes.append(typed(a, ProfileAttribute))
    groups = [
        typed(g, ProfileGroup)
        for g in doc.get("groups") or ()
        if defaults.USER_PROFILE_GROUPS.get(g.get("name", "")) != g
    ]
    policy = doc.get("unmanagedAttributePolicy")
    if not attributes and not groups and policy is None:
        return None
    return UserProfile.model_validate(
        {
            "unmanagedAttributePolicy": policy,
            "attributes": sorted(attributes, key=lambda a: str(a.get("name"))) or None,
            "groups": sorted(groups, key=lambda g: str(g.get("name"))) or None,
        }
    )
