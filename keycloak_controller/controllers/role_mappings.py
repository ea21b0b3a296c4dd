"""Role mappings of any subject (a user, a service account, a group, a client scope),
as child sets: one planner, whatever endpoint writes them.

Realm roles: AUTHORITATIVE when set. Client roles: AUTHORITATIVE per listed client;
clients not listed are left alone. Subjects that Keycloak gives the realm's
`default-roles-<realm>` composite (users, groups) never lose it.
Role names resolve when a change runs, so a role another part of the same
reconcile creates exists by then; an unknown name is an InvalidSpec condition
that names the field (`spec.groups[/eng].realmRoles: unknown role 'x' ...`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import MappingsRepresentation, RoleRepresentation

from .childset import ChildSet, Removal, SetOps
from .plan import Change
from .reasons import Problem
from .roles import RoleResolver

MAPPINGS_REMOVAL = Removal.AUTHORITATIVE

# Writes roles to the subject: (roles, client uuid or None for realm roles).
Write = Callable[[list[RoleRepresentation], str | None], object]


class WantedMappings(Protocol):
    """A spec part naming realm and client roles (RoleMappingSpec, Group, ScopeMappings)."""

    @property
    def realm_roles(self) -> Sequence[str] | None: ...

    @property
    def client_roles(self) -> Mapping[str, Sequence[str]] | None: ...


def default_role(realm: str) -> str:
    return f"default-roles-{realm}".lower()


def mapping_set(path: str, protected_role: str | None = None) -> ChildSet[str, RoleRepresentation]:
    return ChildSet(
        name=path,
        removal=MAPPINGS_REMOVAL,
        desired_key=lambda n: n,
        actual_key=lambda r: r.name or "",
        protected=lambda r: protected_role is not None and (r.name or "") == protected_role,
    )


@dataclass(frozen=True)
class Subject:
    """Whose mappings, named `path` in messages, and how to write them."""

    realm: str
    path: str  # the spec path, e.g. "serviceAccount" or "groups[/eng]"
    add: Write
    remove: Write
    keeps_default_role: bool = True  # users and groups hold default-roles-<realm>


def user_subject(admin: KeycloakAdmin, realm: str, user_id: str, path: str) -> Subject:
    mappings = admin.user_role_mappings
    return Subject(
        realm,
        path,
        add=lambda roles, uuid: mappings.add(realm, user_id, roles, uuid),
        remove=lambda roles, uuid: mappings.remove(realm, user_id, roles, uuid),
    )


def group_subject(admin: KeycloakAdmin, realm: str, group_id: str, path: str) -> Subject:
    mappings = admin.group_role_mappings
    return Subject(
        realm,
        path,
        add=lambda roles, uuid: mappings.add(realm, group_id, roles, uuid),
        remove=lambda roles, uuid: mappings.remove(realm, group_id, roles, uuid),
    )


def plan_mappings(
    resolver: RoleResolver,
    subject: Subject,
    wanted: WantedMappings,
    have: MappingsRepresentation,
) -> list[Change]:
    """Changes that make `have` match `wanted`."""

    def role(field: str, name: str, client_id: str | None = None) -> RoleRepresentation:
        try:
            return resolver.role(name, client_id)
        except Problem as problem:
            raise Problem(
                problem.reason, f"spec.{field}: {problem.message}", waiting=problem.waiting
            ) from None

    def client_uuid(field: str, client_id: str) -> str:
        try:
            return resolver.client_uuid(client_id)
        except Problem as problem:
            raise Problem(
                problem.reason, f"spec.{field}: {problem.message}", waiting=problem.waiting
            ) from None

    protected = default_role(subject.realm) if subject.keeps_default_role else None
    changes: list[Change] = []
    if wanted.realm_roles is not None:
        path = f"{subject.path}.realmRoles"
        roles = mapping_set(path, protected)
        plan = roles.plan(sorted(set(wanted.realm_roles)), have.realm_mappings or [])

        def add_realm(name: str, path: str = path) -> None:
            subject.add([role(path, name)], None)

        changes += roles.changes(
            plan, SetOps(create=add_realm, delete=lambda r: subject.remove([r], None))
        )
    for client_id, names in (wanted.client_roles or {}).items():
        path = f"{subject.path}.clientRoles[{client_id}]"
        current = (have.client_mappings or {}).get(client_id)
        roles = mapping_set(path, protected)
        plan = roles.plan(sorted(set(names)), (current.mappings if current else None) or [])

        def add(name: str, client_id: str = client_id, path: str = path) -> None:
            subject.add([role(path, name, client_id)], client_uuid(path, client_id))

        def remove(r: RoleRepresentation, client_id: str = client_id, path: str = path) -> None:
            subject.remove([r], client_uuid(path, client_id))

        changes += roles.changes(plan, SetOps(create=add, delete=remove))
    return changes
