"""What a KeycloakClient may ask for only when its realm's grant says so.

- Script protocol mappers run code inside Keycloak: they need a
  `clientAuthorizationGrants[]` entry selecting the client's namespace with
  `allowScriptMappers: true` (even in the realm's own namespace: the realm's
  owner decides, not whoever may create KeycloakClients next to it).
- Administrative roles (realm-management client roles, impersonation included)
  need `allowAdminRoles: true`; `parents.realm_parent` checks the roles asked for
  directly, this module the ones a service account would get from a group.
Refusals are NotGranted conditions; nothing is written to Keycloak.
"""

from __future__ import annotations

from keycloak_controller.api import KeycloakClient
from keycloak_controller.api.roles import RoleMappingSpec
from keycloak_controller.keycloak.client import KeycloakAdmin

from . import reasons
from .client_plan import admin_roles_requested
from .context import Context
from .parents import RealmParent
from .reasons import Problem


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


def group_admin_roles(admin: KeycloakAdmin, realm: str, paths: list[str]) -> list[str]:
    """The administrative roles membership of the groups at `paths` would give
    (directly mapped to a group or an ancestor; unknown groups give none)."""
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
            asked = RoleMappingSpec(
                realm_roles=[r.name for r in mappings.realm_mappings or [] if r.name],
                client_roles={
                    client: [r.name for r in m.mappings or [] if r.name]
                    for client, m in (mappings.client_mappings or {}).items()
                },
            )
            found += [f"{role} (via group {group_path})" for role in admin_roles_requested(asked)]
    return found
