"""`spec.groups` as a realm section: groups and subgroups keyed by path.

- Groups: OWNED_ONLY. A listed group is created (tagged with the group
  attribute `keycloak-controller.dev/owner`, as roles are) or corrected; a
  group this resource created that is no longer listed is deleted, unless a
  subgroup below it must stay (listed, or made elsewhere): Keycloak deletes a
  group's subgroups with it, so only whole subtrees this resource may remove
  are deleted, each by its topmost group. A listed group made elsewhere is
  managed but not tagged, so unlisting it leaves it alone.
- A group's attributes: ADDITIVE (the listed keys are kept equal).
- A group's realmRoles / clientRoles (per listed client): AUTHORITATIVE when set.
Role names are resolved when a change runs, so a role that `spec.roles` creates
in the same reconcile is found; a new group's mappings are planned after its
create re-observes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.api.realm_groups import Group
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.adapters import Kind
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import (
    GroupRepresentation,
    MappingsRepresentation,
)

from .childset import ChildSet, Removal, SetOps
from .ownership import PREFIX
from .plan import Change
from .realm_section import RealmSection
from .reasons import INVALID_SPEC, Problem
from .role_mappings import group_subject, plan_mappings
from .roles import RoleResolver

GROUP_OWNER = PREFIX + "owner"
GROUPS_REMOVAL = Removal.OWNED_ONLY
GROUP_ATTRIBUTES_REMOVAL = Removal.ADDITIVE


def parent_path(path: str) -> str | None:
    """`/a/b` -> `/a`; a top-level group has no parent."""
    head = path.rstrip("/").rsplit("/", 1)[0]
    return head or None


def group_name(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def is_owned(group: GroupRepresentation, owner_tag: str) -> bool:
    return owner_tag in ((group.attributes or {}).get(GROUP_OWNER) or [])


def group_equal(compare_description: bool) -> Callable[[Group, GroupRepresentation], bool]:
    """Whether an existing group satisfies the listed one (attributes additive)."""

    def equal(group: Group, have: GroupRepresentation) -> bool:
        have_attrs = have.attributes or {}
        attrs_ok = all(have_attrs.get(k) == v for k, v in (group.attributes or {}).items())
        desc_ok = (
            not compare_description
            or group.description is None
            or (have.description or "") == group.description
        )
        return attrs_ok and desc_ok

    return equal


def removable_roots(
    actual: Iterable[GroupRepresentation], listed: set[str], owner_tag: str
) -> set[str]:
    """Paths of the groups to delete: owned, unlisted, with every subgroup below them
    removable too, and not below another such group (deleting it deletes them)."""
    groups = {g.path: g for g in actual if g.path}
    children: dict[str, list[str]] = {}
    for path in groups:
        parent = parent_path(path)
        if parent is not None:
            children.setdefault(parent, []).append(path)
    memo: dict[str, bool] = {}

    def removable(path: str) -> bool:
        if path not in memo:
            memo[path] = (
                path not in listed
                and is_owned(groups[path], owner_tag)
                and all(removable(c) for c in children.get(path, ()))
            )
        return memo[path]

    return {p for p in groups if removable(p) and not ((pp := parent_path(p)) and removable(pp))}


def check_parents(desired: Sequence[Group], existing: set[str]) -> None:
    """Every listed group's parent is listed or exists (else: a condition naming it)."""
    listed = {g.path for g in desired}
    for group in desired:
        parent = parent_path(group.path)
        if parent is not None and parent not in listed and parent not in existing:
            raise Problem(
                INVALID_SPEC,
                f"spec.groups[{group.path}]: parent group {parent!r} is neither listed in "
                "spec.groups nor in Keycloak",
            )


def group_set(
    owner_tag: str, compare_description: bool, roots: set[str]
) -> ChildSet[Group, GroupRepresentation]:
    return ChildSet(
        name="groups",
        removal=GROUPS_REMOVAL,
        desired_key=lambda g: g.path,
        actual_key=lambda g: g.path or "",
        equal=group_equal(compare_description),
        owned=lambda g: is_owned(g, owner_tag),
        protected=lambda g: (g.path or "") not in roots,
    )


def desired_group(group: Group, owner_tag: str) -> GroupRepresentation:
    """A new group's body: the listed attributes and this resource's owner tag."""
    attributes = {**(group.attributes or {}), GROUP_OWNER: [owner_tag]}
    return GroupRepresentation(
        name=group_name(group.path), description=group.description, attributes=attributes
    )


@dataclass
class ObservedGroups:
    actual: list[GroupRepresentation]
    # Listed groups that exist and set realmRoles or clientRoles: their direct mappings.
    mappings: dict[str, MappingsRepresentation] = field(default_factory=dict)

    def by_path(self) -> dict[str, GroupRepresentation]:
        return {g.path: g for g in self.actual if g.path}


class GroupsSection(RealmSection):
    name = "groups"

    @classmethod
    def managed(cls, spec: KeycloakRealmSpec) -> bool:
        return spec.groups is not None

    def observe(self) -> None:
        admin, realm = self.scope.admin, self.scope.realm
        actual = list(admin.groups.iter_tree(realm))
        self.observed = ObservedGroups(actual)
        by_path = self.observed.by_path()
        for group in self.spec.groups or []:
            have = by_path.get(group.path)
            if have is None or not have.id:
                continue
            if group.realm_roles is not None or group.client_roles is not None:
                self.observed.mappings[group.path] = admin.group_role_mappings.all(realm, have.id)

    def plan(self) -> list[Change]:
        admin, realm, owner = self.scope.admin, self.scope.realm, self.scope.owner_tag
        desired = sorted(self.spec.groups or [], key=lambda g: g.path.count("/"))
        by_path = self.observed.by_path()
        check_parents(desired, set(by_path))
        listed = {g.path for g in desired}
        compare_description = "description" not in admin.adapter.MISSING_FIELDS.get(Kind.GROUP, {})
        groups = group_set(
            owner, compare_description, removable_roots(by_path.values(), listed, owner)
        )
        plan = groups.plan(desired, by_path.values())

        def create(group: Group) -> None:
            parent = parent_path(group.path)
            parent_id = None
            if parent is not None:
                found = by_path.get(parent) or admin.groups.get_by_path(realm, parent)
                parent_id = found.id
            admin.groups.create(realm, desired_group(group, owner), parent_id)

        def update(group: Group, have: GroupRepresentation) -> None:
            merged = {**(have.attributes or {}), **(group.attributes or {})}
            description = group.description if group.description is not None else have.description
            body = GroupRepresentation(name=have.name, description=description, attributes=merged)
            admin.groups.update(realm, have.id or "", body)

        def delete(have: GroupRepresentation) -> None:
            with contextlib.suppress(kc_errors.NotFound):
                admin.groups.delete(realm, have.id or "")

        changes = [
            Change(c.path, c.verb, c.run, c.target, reobserve=c.verb == "create")
            for c in groups.changes(plan, SetOps(create, delete, update))
        ]
        for group in desired:
            have = by_path.get(group.path)
            mappings = self.observed.mappings.get(group.path)
            if have is not None and have.id and mappings is not None:
                changes += group_mapping_changes(admin, realm, group, have.id, mappings)
        return changes


def group_mapping_changes(
    admin: KeycloakAdmin,
    realm: str,
    group: Group,
    group_id: str,
    have: MappingsRepresentation,
) -> list[Change]:
    """The group's realm and client role mappings, authoritative when set."""
    subject = group_subject(admin, realm, group_id, f"groups[{group.path}]")
    return plan_mappings(RoleResolver(admin, realm), subject, group, have)
