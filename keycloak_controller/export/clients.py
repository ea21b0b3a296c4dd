"""Clients as KeycloakClient specs.

The access type and flows come from Keycloak's flags; the attributes the
controller types go to their typed blocks (`client_settings`: PKCE, device grant,
post-logout URIs, logout, tokens, client authentication, consent, the `saml:`
block); flow overrides are turned from flow ids into aliases; authorization
services come from Keycloak's own export of the resource server
(`client_authorization`). Every other attribute is kept in `attributes` as it is,
named in a comment, so nothing is lost.

The client secret is never exported: the KeycloakClient's credentials Secret is
filled by the controller from the secret Keycloak already has. Certificates the
CRD reads from Secrets become a reference to the realm's Secret stub.

Reads per client, only where the client has something to read: its roles; its
service account's user, role mappings and groups (service accounts enabled); the
resource server's export (authorization services enabled); one flow per flow
override. Mappers, scopes and attributes come with the paged client list.
`export_clients` runs a few clients at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from keycloak_controller.api.client import AccessType, KeycloakClientSpec, ProtocolMapper
from keycloak_controller.api.client_oidc import FlowOverrides
from keycloak_controller.api.common import RealmReference, SecretKeySelector
from keycloak_controller.controllers.client_plan import (
    DEVICE_GRANT_ATTRIBUTE,
    PKCE_ATTRIBUTE,
    POST_LOGOUT_ATTRIBUTE,
)
from keycloak_controller.controllers.client_settings import CIBA, FLOW_OVERRIDE_KEYS
from keycloak_controller.controllers.ownership import PREFIX
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.errors import NotFound
from keycloak_controller.keycloak.models import ClientRepresentation

from . import defaults
from .bundle import object_name
from .client_authorization import export_authorization
from .client_settings import Attributes, consent, oidc_settings, saml_settings
from .realm_children import ClientNames, export_roles, mappings_spec
from .realm_settings import FOREIGN_OWNERSHIP_PREFIXES, SecretStub

# Clients exported at once (their reads overlap; Keycloak answers them in parallel).
WORKERS = 4
# The client role Keycloak makes (and grants the service account) with authorization
# services: not the user's, and present in any copy, so left out.
UMA = "uma_protection"
# Attributes Keycloak keeps for itself.
BOOKKEEPING_ATTRIBUTES = frozenset({"client.secret.creation.time", "realm_client"})


@dataclass(frozen=True)
class ExportedClient:
    spec: KeycloakClientSpec
    notes: list[str] = field(default_factory=list)
    secrets: list[SecretStub] = field(default_factory=list)


def is_builtin(client: ClientRepresentation) -> bool:
    return (client.client_id or "") in defaults.BUILTIN_CLIENTS


def access_type(client: ClientRepresentation) -> AccessType:
    if client.bearer_only:
        return AccessType.BEARER_ONLY
    if client.public_client:
        return AccessType.PUBLIC
    return AccessType.CONFIDENTIAL


def _flow_overrides(
    admin: KeycloakAdmin, realm: str, overrides: dict[str, str], notes: list[str]
) -> FlowOverrides | None:
    """authenticationFlowBindingOverrides (flow ids) as the spec's aliases."""
    by_key = FLOW_OVERRIDE_KEYS  # Keycloak's key -> the spec's field (camelCase)
    aliases: dict[str, str] = {}
    for key, flow_id in sorted(overrides.items()):
        if not flow_id:
            continue
        if key not in by_key:
            notes.append(f"flow override {key} has no typed field: left as Keycloak has it")
            continue
        try:
            alias = admin.authentication.get_flow(realm, flow_id).alias
        except NotFound:
            alias = None
        if not alias:
            notes.append(f"the {key} flow override names a flow that is gone: left out")
            continue
        aliases[by_key[key]] = alias
    return FlowOverrides.model_validate(aliases) if aliases else None


def export_client(
    admin: KeycloakAdmin,
    realm: str,
    client: ClientRepresentation,
    realm_ref: str,
    clients: ClientNames,
    realm_scopes: tuple[set[str], set[str]],
) -> ExportedClient:
    """The client's spec, the comments its document carries and the Secret keys it names."""
    uuid = client.id or ""
    saml = client.protocol == "saml"
    notes: list[str] = []
    secrets: list[SecretStub] = []
    attributes = Attributes(
        {
            k: v
            for k, v in (client.attributes or {}).items()
            if k not in BOOKKEEPING_ATTRIBUTES
            and not k.startswith(PREFIX)
            and not k.startswith(FOREIGN_OWNERSHIP_PREFIXES)
        }
    )
    kind = AccessType.CONFIDENTIAL if saml else access_type(client)
    secret_name = object_name(realm_ref, "secrets")

    def certificate(what: str, why: str) -> SecretKeySelector:
        key = f"{object_name(client.client_id or uuid)}-{what}"
        secrets.append(SecretStub(secret_name, key, f"client {client.client_id}: {why}"))
        return SecretKeySelector(name=secret_name, key=key)

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
        "consent": consent(attributes),
        "authenticationFlowOverrides": _flow_overrides(
            admin, realm, dict(client.authentication_flow_binding_overrides or {}), notes
        ),
    }
    if saml:
        exported_saml = saml_settings(client.frontchannel_logout, attributes, certificate)
        spec["saml"] = exported_saml.saml
        notes.extend(exported_saml.notes)
    else:
        remaining = attributes.remaining
        device = remaining.pop(DEVICE_GRANT_ATTRIBUTE, "false") == "true"
        ciba = remaining.pop(CIBA, None)
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
        pkce = remaining.pop(PKCE_ATTRIBUTE, "")
        spec["pkceMethod"] = pkce or None
        post_logout = remaining.pop(POST_LOGOUT_ATTRIBUTE, "")
        spec["postLogoutRedirectUris"] = sorted(u for u in post_logout.split("##") if u) or None
        spec["webOrigins"] = sorted(client.web_origins or []) or None
        oidc = oidc_settings(
            client.frontchannel_logout,
            client.client_authenticator_type,
            kind is AccessType.CONFIDENTIAL,
            attributes,
            certificate,
        )
        spec["logout"] = oidc.logout
        spec["tokens"] = oidc.tokens
        spec["clientAuthentication"] = oidc.client_authentication
        notes.extend(oidc.notes)
        if client.service_accounts_enabled and kind is AccessType.CONFIDENTIAL:
            user = admin.clients.service_account_user(realm, uuid)
            realm_roles, client_roles = mappings_spec(
                admin.user_role_mappings.all(realm, user.id or ""),
                lambda name: name == f"default-roles-{realm}",
            )
            if client.authorization_services_enabled:
                # Keycloak's own: made and granted when authorization services are enabled.
                own = [r for r in client_roles.pop(client.client_id or "", []) if r != UMA]
                if own:
                    client_roles[client.client_id or ""] = own
            groups = sorted(g.path for g in admin.users.iter_groups(realm, user.id or "") if g.path)
            if realm_roles or client_roles or groups:
                spec["serviceAccount"] = {
                    "realmRoles": realm_roles or None,
                    "clientRoles": client_roles or None,
                    "groups": groups or None,
                }
            if client.authorization_services_enabled:
                authz = export_authorization(admin.authorization.export(realm, uuid))
                spec["authorization"] = authz.authorization
                notes.extend(authz.notes)
    attributes.drop_defaults()
    spec["attributes"] = attributes.remaining or None
    if attributes.remaining:
        notes.append(
            "spec.attributes holds client attributes with no typed field: "
            + ", ".join(sorted(attributes.remaining))
        )
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
    roles = export_roles(admin, realm, clients, uuid)
    if client.authorization_services_enabled:
        roles = [r for r in roles if r.name != UMA]
    spec["roles"] = roles or None
    defaults_, optional = realm_scopes
    have_default = set(client.default_client_scopes or [])
    have_optional = set(client.optional_client_scopes or [])
    if have_default != defaults_ or have_optional != optional:
        spec["defaultClientScopes"] = sorted(have_default)
        spec["optionalClientScopes"] = sorted(have_optional)
    body = {k: v for k, v in spec.items() if v is not None}
    return ExportedClient(KeycloakClientSpec.model_validate(body), notes, secrets)


def export_clients(
    admin: KeycloakAdmin,
    realm: str,
    selected: Sequence[ClientRepresentation],
    realm_ref: str,
    clients: ClientNames,
    realm_scopes: Callable[[ClientRepresentation], tuple[set[str], set[str]]],
    workers: int = WORKERS,
) -> Iterator[tuple[ClientRepresentation, ExportedClient]]:
    """Every selected client exported, in their order. The per-client reads are
    independent, so a few run at once: a client's time is mostly waiting for
    Keycloak (the transport's own concurrency and rate limits still apply)."""

    def one(client: ClientRepresentation) -> ExportedClient:
        return export_client(admin, realm, client, realm_ref, clients, realm_scopes(client))

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        yield from zip(selected, pool.map(one, selected), strict=True)
