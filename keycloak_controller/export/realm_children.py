"""Realm roles, groups, client scopes and their realm defaults, read from Keycloak as
KeycloakRealm spec entries.

What a new realm already has (offline_access, the built-in scopes, ...) is left
out unless it was changed in a way the spec can say; the realm's default scope
lists are exported only when they differ from a new realm's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from keycloak_controller.api.realm_groups import DefaultRoles, Group
from keycloak_controller.api.realm_scopes import ClientScope, ScopeMappings, ScopeProtocolMapper
from keycloak_controller.api.roles import Role, RoleComposites, RoleMappingSpec
from keycloak_controller.controllers.ownership import PREFIX
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import (
    ClientScopeRepresentation,
    MappingsRepresentation,
    RoleRepresentation,
)

from . import defaults

# Keycloak's attribute behind ClientScope.include_in_token_scope and friends.
SCOPE_ATTRIBUTES = {
    "include.in.token.scope": "include_in_token_scope",
    "display.on.consent.screen": "display_on_consent_screen",
    "consent.screen.text": "consent_screen_text",
    "gui.order": "gui_order",
}


class ClientNames:
    """clientId by the client's internal id, for role references."""

    def __init__(self, by_uuid: Mapping[str, str]) -> None:
        self.by_uuid = dict(by_uuid)

    def client_id(self, uuid: str | None) -> str | None:
        return self.by_uuid.get(uuid or "")


def role_mapping(
    roles: Iterable[RoleRepresentation], clients: ClientNames, skip: Callable[[str], bool]
) -> tuple[list[str], dict[str, list[str]]]:
    """Realm role names and clientId -> client role names, sorted."""
    realm: list[str] = []
    by_client: dict[str, list[str]] = {}
    for role in roles:
        if not role.name or skip(role.name):
            continue
        if role.client_role:
            owner = clients.client_id(role.container_id)
            if owner is not None:
                by_client.setdefault(owner, []).append(role.name)
        else:
            realm.append(role.name)
    return sorted(realm), {k: sorted(v) for k, v in sorted(by_client.items())}


def mappings_spec(
    mappings: MappingsRepresentation, skip: Callable[[str], bool]
) -> tuple[list[str], dict[str, list[str]]]:
    """A role-mappings answer as realm role names and clientId -> role names."""
    realm = sorted(r.name for r in mappings.realm_mappings or () if r.name and not skip(r.name))
    clients: dict[str, list[str]] = {}
    for client_id, client in sorted((mappings.client_mappings or {}).items()):
        names = sorted(r.name for r in client.mappings or () if r.name)
        if names:
            clients[client_id] = names
    return realm, clients


def _role(
    admin: KeycloakAdmin,
    realm: str,
    role: RoleRepresentation,
    clients: ClientNames,
    client_uuid: str | None = None,
) -> Role:
    composites = None
    if role.composite and role.name:
        realm_roles, client_roles = role_mapping(
            admin.roles.composites(realm, role.name, client_uuid), clients, lambda _: False
        )
        composites = RoleComposites(
            realm_roles=realm_roles or None, client_roles=client_roles or None
        )
    return Role(
        name=role.name or "",
        description=role.description or None,
        attributes={k: list(v) for k, v in (role.attributes or {}).items()} or None,
        composites=composites,
    )


def export_roles(
    admin: KeycloakAdmin, realm: str, clients: ClientNames, client_uuid: str | None = None
) -> list[Role]:
    """Realm roles (or one client's roles), built-ins and the default-roles composite apart."""
    out = []
    for role in admin.roles.iter_all(realm, client_uuid):
        name = role.name or ""
        if client_uuid is None and (
            name in defaults.BUILTIN_ROLES or name == f"default-roles-{realm}"
        ):
            continue
        out.append(_role(admin, realm, role, clients, client_uuid))
    return sorted(out, key=lambda r: r.name)


def export_default_roles(
    admin: KeycloakAdmin, realm: str, clients: ClientNames
) -> DefaultRoles | None:
    """The default-roles-<realm> composite, when it is not a new realm's."""
    realm_roles, client_roles = role_mapping(
        admin.roles.composites(realm, f"default-roles-{realm}"), clients, lambda _: False
    )
    fresh = (
        ["offline_access", "uma_authorization"],
        {"account": ["manage-account", "view-profile"]},
    )
    if (realm_roles, client_roles) == fresh:
        return None
    return DefaultRoles(realm_roles=realm_roles, client_roles=client_roles or None)


def export_groups(admin: KeycloakAdmin, realm: str) -> list[Group]:
    """Every group at any depth (paged), parents first, with its direct role mappings."""
    out = []
    for group in admin.groups.iter_tree(realm):
        if not group.path or not group.id:
            continue
        attributes = {
            k: list(v) for k, v in (group.attributes or {}).items() if not k.startswith(PREFIX)
        }
        realm_roles, client_roles = mappings_spec(
            admin.group_role_mappings.all(realm, group.id), lambda _: False
        )
        out.append(
            Group(
                path=group.path,
                description=getattr(group, "description", None) or None,
                attributes=attributes or None,
                realm_roles=realm_roles or None,
                client_roles=client_roles or None,
            )
        )
    return out


def export_default_groups(admin: KeycloakAdmin, realm: str) -> list[str] | None:
    paths = sorted(g.path for g in admin.groups.default_groups(realm) if g.path)
    return paths or None


def _scope(admin: KeycloakAdmin, realm: str, scope: ClientScopeRepresentation) -> ClientScope:
    attributes = dict(scope.attributes or {})
    typed: dict[str, object] = {}
    for key, name in SCOPE_ATTRIBUTES.items():
        if key in attributes:
            value = attributes.pop(key)
            if name == "gui_order":
                if value.isdigit():
                    typed[name] = int(value)
                else:
                    attributes[key] = value
            elif name == "consent_screen_text":
                typed[name] = value or None
            else:
                typed[name] = value == "true"
    # From the scope's own representation, as the controller compares them: the mapper
    # endpoint adds Keycloak's defaults (introspection.token.claim) the scope does not hold.
    mappers = [
        ScopeProtocolMapper(
            name=m.name or "", protocol_mapper=m.protocol_mapper or "", config=dict(m.config or {})
        )
        for m in scope.protocol_mappers or ()
    ]
    realm_roles, client_roles = mappings_spec(
        admin.client_scopes.scope_mappings(realm, scope.id or ""), lambda _: False
    )
    mapped = None
    if realm_roles or client_roles:
        mapped = ScopeMappings(realm_roles=realm_roles or None, client_roles=client_roles or None)
    return ClientScope.model_validate(
        {
            "name": scope.name,
            "protocol": scope.protocol,
            "description": scope.description or None,
            **typed,
            "attributes": {k: v for k, v in attributes.items() if not k.startswith(PREFIX)} or None,
            "protocol_mappers": sorted(mappers, key=lambda m: m.name) or None,
            "scope_mappings": mapped,
        }
    )


def export_client_scopes(admin: KeycloakAdmin, realm: str) -> list[ClientScope]:
    """The realm's own client scopes (the ones every new realm has are left out)."""
    return sorted(
        (
            _scope(admin, realm, s)
            for s in admin.client_scopes.list(realm)
            if s.name and s.name not in defaults.BUILTIN_SCOPES
        ),
        key=lambda s: s.name,
    )


def export_realm_default_scopes(
    admin: KeycloakAdmin, realm: str, *, optional: bool
) -> list[str] | None:
    names = {s.name for s in admin.client_scopes.realm_defaults(realm, optional=optional) if s.name}
    fresh = defaults.OPTIONAL_CLIENT_SCOPES if optional else defaults.DEFAULT_CLIENT_SCOPES
    return None if names == fresh else sorted(names)


def mapping_spec(realm_roles: list[str], client_roles: dict[str, list[str]]) -> RoleMappingSpec:
    return RoleMappingSpec(realm_roles=realm_roles or None, client_roles=client_roles or None)
