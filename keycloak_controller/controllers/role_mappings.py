"""A user's (or service account's) role mappings, as child sets.

Realm roles: AUTHORITATIVE when set, except the realm's `default-roles-<realm>`
composite, which Keycloak gives every user and which is never removed.
Client roles: AUTHORITATIVE per client listed; clients not listed are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from keycloak_controller.api.roles import RoleMappingSpec
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import MappingsRepresentation, RoleRepresentation

from .childset import ChildSet, Removal, SetOps
from .plan import Change
from .roles import RoleResolver

MAPPINGS_REMOVAL = Removal.AUTHORITATIVE


def default_role(realm: str) -> str:
    return f"default-roles-{realm}".lower()


def mapping_set(path: str, realm: str) -> ChildSet[str, RoleRepresentation]:
    protected = default_role(realm)
    return ChildSet(
        name=path,
        removal=MAPPINGS_REMOVAL,
        desired_key=lambda n: n,
        actual_key=lambda r: r.name or "",
        protected=lambda r: (r.name or "") == protected,
    )


@dataclass(frozen=True)
class Subject:
    """Whose mappings: a user id in a realm, named `path` in messages."""

    realm: str
    user_id: str
    path: str


def plan_mappings(
    admin: KeycloakAdmin, subject: Subject, wanted: RoleMappingSpec, have: MappingsRepresentation
) -> list[Change]:
    """Changes that make `have` match `wanted`; role names resolve when they run."""
    resolver = RoleResolver(admin, subject.realm)
    realm, user = subject.realm, subject.user_id
    changes: list[Change] = []
    if wanted.realm_roles is not None:
        roles = mapping_set(f"{subject.path}.realmRoles", realm)
        plan = roles.plan(sorted(set(wanted.realm_roles)), have.realm_mappings or [])
        changes += roles.changes(
            plan,
            SetOps(
                create=lambda n: admin.user_role_mappings.add(realm, user, [resolver.role(n)]),
                delete=lambda r: admin.user_role_mappings.remove(realm, user, [r]),
            ),
        )
    for client_id, names in (wanted.client_roles or {}).items():
        current = (have.client_mappings or {}).get(client_id)
        roles = mapping_set(f"{subject.path}.clientRoles[{client_id}]", realm)
        plan = roles.plan(sorted(set(names)), (current.mappings if current else None) or [])

        def add(name: str, client_id: str = client_id) -> None:
            uuid = resolver.client_uuid(client_id)
            admin.user_role_mappings.add(realm, user, [resolver.role(name, client_id)], uuid)

        def remove(role: RoleRepresentation, client_id: str = client_id) -> None:
            admin.user_role_mappings.remove(realm, user, [role], resolver.client_uuid(client_id))

        changes += roles.changes(plan, SetOps(create=add, delete=remove))
    return changes
