"""What a KeycloakClient may ask for only when its realm's grant says so.

- Script protocol mappers run code inside Keycloak: they need a
  `clientAuthorizationGrants[]` entry selecting the client's namespace with
  `allowScriptMappers: true` (even in the realm's own namespace: the realm's
  owner decides, not whoever may create KeycloakClients next to it).
- Administrative roles (realm-management client roles, impersonation included)
  need `allowAdminRoles: true`; `parents.realm_parent` checks the roles asked for
  by name, this module the ones a service account would get through a role's
  composites or a group. Only roles and groups about to be added are read, so an
  in-sync client costs nothing; a composite changed after the fact is not seen.
Refusals are NotGranted conditions; nothing is written to Keycloak.
"""

from __future__ import annotations

import contextlib

from keycloak_controller.api import KeycloakClient
from keycloak_controller.api.roles import RoleMappingSpec
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import MappingsRepresentation, RoleRepresentation

from . import reasons
from .client_plan import ADMIN_REALM_ROLES, REALM_MANAGEMENT
from .context import Context
from .parents import RealmParent
from .reasons import Problem
from .roles import RoleResolver


def refuse_ungranted(
    ctx: Context,
    cr: KeycloakClient,
    parents: RealmParent,
    *,
    script_mappers: list[str] | None = None,
    admin_roles: list[str] | None = None,
) -> None:
    """Raise NotGranted unless the realm's grants allow what is asked for."""
    if not script_mappers and not admin_roles:
        return
    spec = parents.realm.spec
    namespace = cr.metadata.namespace
    grants = spec.client_authorization_grants or []
    labels = ctx.labels_if(any(g.needs_labels for g in grants), namespace)
    where = f"KeycloakRealm {parents.realm.metadata.namespace}/{parents.realm.metadata.name}"
    if script_mappers and not spec.allows_script_mappers(namespace, labels):
        raise Problem(
            reasons.NOT_GRANTED,
            f"script protocol mappers are asked for ({', '.join(script_mappers)}); {where} "
            f"must grant namespace {namespace} with allowScriptMappers: true",
        )
    if admin_roles and not spec.allows_admin_roles(namespace, labels):
        raise Problem(
            reasons.NOT_GRANTED,
            f"administrative roles are asked for ({', '.join(admin_roles)}); {where} must "
            f"grant namespace {namespace} with allowAdminRoles: true",
        )


def _with_ancestors(path: str) -> list[str]:
    """'/a/b/c' -> ['/a', '/a/b', '/a/b/c']: a member gets every ancestor's roles too."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


def is_admin_client(client_id: str) -> bool:
    """realm-management administers its realm; <realm>-realm clients in master theirs."""
    return client_id == REALM_MANAGEMENT or client_id.endswith("-realm")


def composite_admin_roles(
    admin: KeycloakAdmin, realm: str, roles: list[RoleRepresentation]
) -> list[str]:
    """The administrative roles among `roles` and everything their composites include,
    however deep (one read per composite role)."""
    client_ids: dict[str, str] = {}

    def client_id_of(uuid: str) -> str:
        if uuid not in client_ids:
            client_ids[uuid] = admin.clients.get(realm, uuid).client_id or ""
        return client_ids[uuid]

    found: list[str] = []
    seen: set[str] = set()
    queue = list(roles)
    while queue:
        role = queue.pop()
        key = role.id or f"{role.container_id}/{role.name}"
        if key in seen or not role.name:
            continue
        seen.add(key)
        owner = client_id_of(role.container_id or "") if role.client_role else None
        if owner is not None and is_admin_client(owner):
            found.append(f"{owner} role {role.name}")
            continue
        if owner is None and role.name in ADMIN_REALM_ROLES:
            found.append(f"realm role {role.name}")
            continue
        if role.composite:
            queue += admin.roles.composites(realm, role.name, role.container_id if owner else None)
    return sorted(set(found))


def group_admin_roles(admin: KeycloakAdmin, realm: str, paths: list[str]) -> list[str]:
    """The administrative roles membership of the groups at `paths` would give
    (mapped to a group or an ancestor, directly or through composites; unknown groups
    give none)."""
    found: list[str] = []
    seen: set[str] = set()
    for path in paths:
        for group_path in _with_ancestors(path):
            if group_path in seen:
                continue
            seen.add(group_path)
            group = admin.groups.find_by_path(realm, group_path)
            if group is None or not group.id:
                continue
            mappings = admin.group_role_mappings.all(realm, group.id)
            roles = list(mappings.realm_mappings or [])
            for client in (mappings.client_mappings or {}).values():
                roles += client.mappings or []
            found += [
                f"{role} (via group {group_path})"
                for role in composite_admin_roles(admin, realm, roles)
            ]
    return found


def new_roles(
    resolver: RoleResolver, wanted: RoleMappingSpec, have: MappingsRepresentation
) -> list[RoleRepresentation]:
    """The roles of `wanted` the subject does not hold yet (unknown names skipped: the
    mapping plan reports them)."""
    held = {r.name for r in have.realm_mappings or []}
    names: list[tuple[str, str | None]] = [
        (n, None) for n in wanted.realm_roles or () if n not in held
    ]
    for client_id, roles in (wanted.client_roles or {}).items():
        current = (have.client_mappings or {}).get(client_id)
        held_client = {r.name for r in (current.mappings if current else None) or []}
        names += [(n, client_id) for n in roles if n not in held_client]
    found: list[RoleRepresentation] = []
    for name, owner in names:
        with contextlib.suppress(Problem):
            found.append(resolver.role(name, owner))
    return found
