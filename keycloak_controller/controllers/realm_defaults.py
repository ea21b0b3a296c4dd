"""`spec.defaultGroups` and `spec.defaultRoles` as realm sections.

- Default groups (groups every new user joins), by path: AUTHORITATIVE when
  set. A path that is neither a group in Keycloak nor listed in `spec.groups`
  is refused with a condition naming it; a group `spec.groups` creates in the
  same reconcile is found when the change runs (the groups section runs first).
- Default roles (the composites of the realm's `default-roles-<realm>` role):
  realm roles AUTHORITATIVE when set; client roles AUTHORITATIVE for each
  client listed, other clients' roles left alone.
"""

from __future__ import annotations

from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.models import GroupRepresentation, RoleRepresentation

from .childset import ChildSet, Removal, SetOps
from .plan import Change
from .realm_section import RealmSection
from .reasons import INVALID_SPEC, Problem
from .role_mappings import default_role
from .roles import RoleResolver

DEFAULT_GROUPS_REMOVAL = Removal.AUTHORITATIVE
DEFAULT_ROLES_REMOVAL = Removal.AUTHORITATIVE


def default_group_set() -> ChildSet[str, GroupRepresentation]:
    return ChildSet(
        name="defaultGroups",
        removal=DEFAULT_GROUPS_REMOVAL,
        desired_key=lambda p: p,
        actual_key=lambda g: g.path or "",
    )


def default_role_set(path: str) -> ChildSet[str, RoleRepresentation]:
    return ChildSet(
        name=path,
        removal=DEFAULT_ROLES_REMOVAL,
        desired_key=lambda n: n,
        actual_key=lambda r: r.name or "",
    )


def unknown_default_groups(
    wanted: list[str], existing: set[str], listed_groups: set[str]
) -> list[str]:
    """Default group paths that are no group: neither in Keycloak nor in spec.groups."""
    return [p for p in wanted if p not in existing and p not in listed_groups]


class DefaultGroupsSection(RealmSection):
    name = "defaultGroups"

    @classmethod
    def managed(cls, spec: KeycloakRealmSpec) -> bool:
        return spec.default_groups is not None

    def observe(self) -> None:
        admin, realm = self.scope.admin, self.scope.realm
        self.actual = admin.groups.default_groups(realm)
        have = {g.path for g in self.actual}
        self.existing = {g.path or "" for g in self.actual}
        for path in self.spec.default_groups or []:
            if path not in have and admin.groups.find_by_path(realm, path) is not None:
                self.existing.add(path)

    def plan(self) -> list[Change]:
        admin, realm = self.scope.admin, self.scope.realm
        wanted = sorted(set(self.spec.default_groups or []))
        listed = {g.path for g in self.spec.groups or []}
        unknown = unknown_default_groups(wanted, self.existing, listed)
        if unknown:
            raise Problem(
                INVALID_SPEC,
                f"spec.defaultGroups[{unknown[0]}]: no such group (list it in spec.groups or "
                "create it first)",
            )

        def add(path: str) -> None:
            try:
                group = admin.groups.get_by_path(realm, path)
            except kc_errors.NotFound:
                raise Problem(INVALID_SPEC, f"spec.defaultGroups[{path}]: no such group") from None
            admin.groups.add_default_group(realm, group.id or "")

        def remove(group: GroupRepresentation) -> None:
            admin.groups.remove_default_group(realm, group.id or "")

        groups = default_group_set()
        return groups.changes(groups.plan(wanted, self.actual), SetOps(add, remove))


class DefaultRolesSection(RealmSection):
    name = "defaultRoles"

    @classmethod
    def managed(cls, spec: KeycloakRealmSpec) -> bool:
        return spec.default_roles is not None

    def observe(self) -> None:
        admin, realm = self.scope.admin, self.scope.realm
        self.role_name = default_role(realm)
        self.resolver = RoleResolver(admin, realm)
        self.composites = admin.roles.composites(realm, self.role_name)
        # The listed clients' uuids, to tell their roles among the composites.
        self.client_uuids: dict[str, str] = {}
        for client_id in (self.spec.default_roles and self.spec.default_roles.client_roles) or {}:
            try:
                self.client_uuids[client_id] = self.resolver.client_uuid(client_id)
            except Problem as problem:
                raise Problem(
                    problem.reason, f"spec.defaultRoles.clientRoles[{client_id}]: {problem.message}"
                ) from None

    def plan(self) -> list[Change]:
        admin, realm, name = self.scope.admin, self.scope.realm, self.role_name
        wanted = self.spec.default_roles
        assert wanted is not None
        resolver = self.resolver
        changes: list[Change] = []

        def resolve(path: str, role: str, client_id: str | None = None) -> RoleRepresentation:
            try:
                return resolver.role(role, client_id)
            except Problem as problem:
                raise Problem(
                    problem.reason, f"spec.{path}: {problem.message}", waiting=problem.waiting
                ) from None

        def remove(r: RoleRepresentation) -> None:
            admin.roles.remove_composites(realm, name, [r])

        if wanted.realm_roles is not None:
            realm_path = "defaultRoles.realmRoles"
            current = [r for r in self.composites if not r.client_role]
            roles = default_role_set(realm_path)
            changes += roles.changes(
                roles.plan(sorted(set(wanted.realm_roles)), current),
                SetOps(
                    create=lambda n: admin.roles.add_composites(
                        realm, name, [resolve(realm_path, n)]
                    ),
                    delete=remove,
                ),
            )
        for client_id, names in (wanted.client_roles or {}).items():
            path = f"defaultRoles.clientRoles[{client_id}]"
            uuid = self.client_uuids[client_id]
            current = [r for r in self.composites if r.client_role and r.container_id == uuid]
            roles = default_role_set(path)

            def add(role: str, client_id: str = client_id, path: str = path) -> None:
                admin.roles.add_composites(realm, name, [resolve(path, role, client_id)])

            changes += roles.changes(
                roles.plan(sorted(set(names)), current), SetOps(create=add, delete=remove)
            )
        return changes
