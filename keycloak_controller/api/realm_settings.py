"""The escape hatch: realm settings that have no typed field yet.

`spec.additionalSettings` takes any plain RealmRepresentation field by its JSON
name. Keys that belong to sub-resource endpoints (clients, groups, ...), keys
that already have a typed field, unknown keys, values of the wrong type and
keys the connected Keycloak lacks are refused when the realm is reconciled,
with a condition naming them.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, WithJsonSchema

# RealmRepresentation fields that are managed through their own endpoints (or
# kinds), never through the realm's PUT, or that identify the realm.
SUB_RESOURCE_KEYS: tuple[str, ...] = (
    "id",
    "realm",
    "enabled",
    "attributes",
    "smtpServer",
    "clients",
    "clientScopes",
    "clientScopeMappings",
    "scopeMappings",
    "users",
    "federatedUsers",
    "groups",
    "roles",
    "defaultRole",
    "defaultRoles",
    "defaultGroups",
    "identityProviders",
    "identityProviderMappers",
    "authenticationFlows",
    "authenticatorConfig",
    "requiredActions",
    "components",
    "defaultDefaultClientScopes",
    "defaultOptionalClientScopes",
    "organizations",
    "organizationsEnabled",
    "protocolMappers",
    "userFederationProviders",
    "userFederationMappers",
    "clientPolicies",
    "clientProfiles",
    "clientTemplates",
    "applications",
    "oauthClients",
    "applicationScopeMappings",
    "socialProviders",
    "localizationTexts",
    "keycloakVersion",
    "codeSecret",
    "certificate",
    "publicKey",
    "privateKey",
)

ADDITIONAL_SETTINGS_DESCRIPTION = (
    "Realm settings that have no typed field yet, by their RealmRepresentation JSON name "
    "(e.g. {oauth2DeviceCodeLifespan: 600}). Only the listed keys are managed; removing a "
    "key leaves the setting as it is. Unset: not managed. Keys with a typed field, keys "
    "of sub-resources (clients, groups, roles, flows, ...), unknown keys and keys the "
    "connected Keycloak version lacks are refused with a condition naming them."
)


# Any JSON value per key: the apiserver keeps the values as they are; the
# reconciler checks them against RealmRepresentation. (No CEL rule: the
# apiserver cannot iterate the keys of a preserve-unknown-fields object, so
# sub-resource keys are refused at reconcile time too.)
AdditionalSettings = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {"type": "object", "maxProperties": 128, "x-kubernetes-preserve-unknown-fields": True}
    ),
]


def additional_settings_field() -> Any:
    return Field(default=None, description=ADDITIONAL_SETTINGS_DESCRIPTION)
