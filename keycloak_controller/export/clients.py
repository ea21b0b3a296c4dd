"""Clients as KeycloakClient specs.

The access type and flows come from Keycloak's flags; the attributes the
controller types itself (PKCE, device grant, post-logout URIs) go to their
fields; every other attribute is kept in `attributes` as it is, so nothing is
lost. The client secret is never exported: the KeycloakClient's credentials
Secret is filled by the controller from the secret Keycloak already has.
"""

from __future__ import annotations

from typing import Any

from keycloak_controller.api.client import AccessType, KeycloakClientSpec, ProtocolMapper
from keycloak_controller.api.common import RealmReference
from keycloak_controller.controllers.client_plan import (
    DEVICE_GRANT_ATTRIBUTE,
    PKCE_ATTRIBUTE,
    POST_LOGOUT_ATTRIBUTE,
)
from keycloak_controller.controllers.client_settings import CIBA
from keycloak_controller.controllers.ownership import PREFIX
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import ClientRepresentation

from . import defaults
from .realm_children import ClientNames, export_roles, mappings_spec
from .realm_settings import FOREIGN_OWNERSHIP_PREFIXES

# Attributes Keycloak keeps for itself.
BOOKKEEPING_ATTRIBUTES = frozenset({"client.secret.creation.time", "realm_client"})


def is_builtin(client: ClientRepresentation) -> bool:
    return (client.client_id or "") in defaults.BUILTIN_CLIENTS


def access_type(client: ClientRepresentation) -> AccessType:
    if client.bearer_only:
        return AccessType.BEARER_ONLY
    if client.public_client:
        return AccessType.PUBLIC
    return AccessType.CONFIDENTIAL


def export_client(
    admin: KeycloakAdmin,
    realm: str,
    client: ClientRepresentation,
    realm_ref: str,
    clients: ClientNames,
    realm_scopes: tuple[set[str], set[str]],
) -> KeycloakClientSpec:
    uuid = client.id or ""
    saml = client.protocol == "saml"
    attributes = {
        k: v
        for k, v in (client.attributes or {}).items()
        if k not in BOOKKEEPING_ATTRIBUTES
        and not k.startswith(PREFIX)
        and not k.startswith(FOREIGN_OWNERSHIP_PREFIXES)
    }
    kind = AccessType.CONFIDENTIAL if saml else access_type(client)
    spec: dict[str, Any] = {
        "realmRef": RealmReference(name=realm_ref),
        "clientId": client.client_id,
        "name": client.name or None,
        "description": client.description or None,
        "enabled": client.enabled if client.enabled is not None else True,
        "protocol": client.protocol or "openid-connect",
        "accessType": kind,
        "consentRequired": True if client.consent_required else None,
        "alwaysDisplayInConsole": True if client.always_display_in_console else None,
        "fullScopeAllowed": False if client.full_scope_allowed is False else None,
        "rootUrl": client.root_url or None,
        "baseUrl": client.base_url or None,
        "adminUrl": client.admin_url or None,
        "redirectUris": sorted(client.redirect_uris or []) or None,
    }
    if saml:
        spec["saml"] = {}
    else:
        device = attributes.pop(DEVICE_GRANT_ATTRIBUTE, "false") == "true"
        ciba = attributes.pop(CIBA, None)
        flows = {
            "standard": bool(client.standard_flow_enabled),
            "implicit": bool(client.implicit_flow_enabled),
            "directAccessGrants": bool(client.direct_access_grants_enabled),
            "serviceAccounts": bool(client.service_accounts_enabled),
            "deviceAuthorization": device,
            "ciba": ciba == "true"
            if ciba is not None and kind is AccessType.CONFIDENTIAL
            else None,
        }
        bearer = kind is AccessType.BEARER_ONLY
        # Only flags that differ from what the access type implies.
        implied = {"standard": not bearer}
        spec["flows"] = {
            k: v for k, v in flows.items() if v is not None and v != implied.get(k, False)
        } or None
        if kind is AccessType.BEARER_ONLY:
            spec["flows"] = None
        pkce = attributes.pop(PKCE_ATTRIBUTE, "")
        spec["pkceMethod"] = pkce or None
        post_logout = attributes.pop(POST_LOGOUT_ATTRIBUTE, "")
        spec["postLogoutRedirectUris"] = sorted(u for u in post_logout.split("##") if u) or None
        spec["webOrigins"] = sorted(client.web_origins or []) or None
        if client.frontchannel_logout:
            spec["logout"] = {"frontChannel": True}
        if client.service_accounts_enabled and kind is AccessType.CONFIDENTIAL:
            user = admin.clients.service_account_user(realm, uuid)
            realm_roles, client_roles = mappings_spec(
                admin.user_role_mappings.all(realm, user.id or ""),
                lambda name: name == f"default-roles-{realm}",
            )
            if realm_roles or client_roles:
                spec["serviceAccount"] = {
                    "realmRoles": realm_roles or None,
                    "clientRoles": client_roles or None,
                }
    spec["attributes"] = attributes or None
    spec["protocolMappers"] = (
        sorted(
            (
                ProtocolMapper(
                    name=m.name or "",
                    protocol_mapper=m.protocol_mapper or "",
                    config=dict(m.config or {}),
                )
                for m in client.protocol_mappers or ()
            ),
            key=lambda m: m.name,
        )
        or None
    )
    spec["roles"] = export_roles(admin, realm, clients, uuid) or None
    defaults_, optional = realm_scopes
    have_default = set(client.default_client_scopes or [])
    have_optional = set(client.optional_client_scopes or [])
    if have_default != defaults_ or have_optional != optional:
        spec["defaultClientScopes"] = sorted(have_default)
        spec["optionalClientScopes"] = sorted(have_optional)
    return KeycloakClientSpec.model_validate({k: v for k, v in spec.items() if v is not None})
