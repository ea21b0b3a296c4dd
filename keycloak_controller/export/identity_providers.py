"""Identity providers and their mappers as `spec.identityProviders` entries.

The typed blocks are filled through the controller's own key tables (the inverse
of `desired_config`); other config keys go to `config`. The client secret is
never read (Keycloak masks it anyway): it becomes a `configSecrets`/
`clientSecretRef` reference to a Secret stub the user fills in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keycloak_controller.api.common import SecretKeySelector
from keycloak_controller.api.realm_identity_providers import (
    OIDC_TYPES,
    SOCIAL_TYPES,
    IdentityProvider,
    IdentityProviderMapper,
    ProviderType,
)
from keycloak_controller.controllers.ownership import PREFIX
from keycloak_controller.controllers.realm_identity_providers import (
    OIDC_KEYS,
    RESERVED_KEYS,
    SAML_KEYS,
    SOCIAL_KEYS,
)
from keycloak_controller.controllers.realm_organization_links import (
    ORG_DOMAIN,
    REDIRECT_ON_EMAIL_MATCH,
)
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import (
    IdentityProviderMapperRepresentation,
    IdentityProviderRepresentation,
)

from .realm_settings import SecretStub

SECRET_KEY = "clientSecret"  # noqa: S105 - a config key name
HIDE_ON_LOGIN_PAGE = "hideOnLoginPage"  # Keycloak 24/25 keep it in config
ORGANIZATION_KEYS = (ORG_DOMAIN, REDIRECT_ON_EMAIL_MATCH)


def _typed(config: dict[str, str], keys: Mapping[str, str]) -> dict[str, str]:
    return {name: config.pop(key) for name, key in keys.items() if key in config}


def export_provider(
    have: IdentityProviderRepresentation,
    mappers: list[IdentityProviderMapperRepresentation],
    secret_name: str,
    secrets: list[SecretStub],
) -> IdentityProvider | None:
    """None for a provider type the CRD does not type (reported by the caller)."""
    try:
        kind = ProviderType(have.provider_id or "")
    except ValueError:
        return None
    alias = have.alias or ""
    config = {k: v for k, v in (have.config or {}).items() if not k.startswith(PREFIX)}
    secret_ref = None
    if SECRET_KEY in config:
        config.pop(SECRET_KEY)
        key = f"idp-{alias}-client-secret"
        secret_ref = SecretKeySelector(name=secret_name, key=key)
        secrets.append(SecretStub(secret_name, key, f"identity provider {alias}'s client secret"))
    sync_mode = config.pop("syncMode", None)
    hide = config.pop(HIDE_ON_LOGIN_PAGE, None)
    for key in RESERVED_KEYS:
        config.pop(key, None)
    for key in ORGANIZATION_KEYS:  # the organization's link owns them
        config.pop(key, None)
    fields: dict[str, Any] = {
        "alias": alias,
        "providerId": kind.value,
        "displayName": have.display_name or None,
        "enabled": have.enabled,
        "hideOnLogin": getattr(have, "hide_on_login", None) if hide is None else hide == "true",
        "trustEmail": have.trust_email,
        "storeToken": have.store_token,
        "addReadTokenRoleOnCreate": have.add_read_token_role_on_create,
        "linkOnly": have.link_only,
        "syncMode": sync_mode,
        "firstBrokerLoginFlowAlias": have.first_broker_login_flow_alias,
        "postBrokerLoginFlowAlias": have.post_broker_login_flow_alias,
    }
    if kind in OIDC_TYPES:
        fields["oidc"] = {**_typed(config, OIDC_KEYS), "client_secret_ref": secret_ref}
    elif kind in SOCIAL_TYPES:
        fields["social"] = {**_typed(config, SOCIAL_KEYS), "client_secret_ref": secret_ref}
    else:
        fields["saml"] = _typed(config, SAML_KEYS)
        if secret_ref is not None:
            fields["configSecrets"] = {SECRET_KEY: secret_ref}
    fields["config"] = config or None
    fields["mappers"] = sorted((export_mapper(m) for m in mappers), key=lambda m: m.name) or None
    return IdentityProvider.model_validate({k: v for k, v in fields.items() if v is not None})


def export_mapper(have: IdentityProviderMapperRepresentation) -> IdentityProviderMapper:
    """Any mapper by its type id and config: exact, and what the controller compares."""
    config = dict(have.config or {})
    sync_mode = config.pop("syncMode", None)
    return IdentityProviderMapper.model_validate(
        {
            "name": have.name,
            "syncMode": sync_mode,
            "identityProviderMapper": have.identity_provider_mapper,
            "config": config or None,
        }
    )


def export_identity_providers(
    admin: KeycloakAdmin, realm: str, secret_name: str, secrets: list[SecretStub]
) -> tuple[list[IdentityProvider], list[str]]:
    """The providers, and the aliases of those the CRD cannot express (left out)."""
    out, skipped = [], []
    for have in admin.identity_providers.list(realm):
        mappers = admin.identity_providers.mappers(realm, have.alias or "")
        provider = export_provider(have, mappers, secret_name, secrets)
        if provider is None:
            skipped.append(f"{have.alias} ({have.provider_id})")
        else:
            out.append(provider)
    return sorted(out, key=lambda p: p.alias), skipped
