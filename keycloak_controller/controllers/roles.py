"""Realm roles and client roles with composites: plan (pure) and apply.

A role listed in the spec is created or corrected; a role this resource created
(tagged with the role attribute `keycloak-controller.dev/owner`) that is no
longer listed is deleted; any other role is left alone. Composites are
authoritative for a listed role whose `composites` is set.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from keycloak_controller.api.roles import Role, RoleMappings
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import RoleRepresentation

from .ownership import PREFIX
from .reasons import INVALID_SPEC, Problem

ROLE_OWNER = PREFIX + "owner"


@dataclass
class RolePlan:
    create: list[RoleRepresentation] = field(default_factory=list)
    update: list[RoleRepresentation] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.create or self.update or self.delete)


def desired_role(role: Role, owner_tag: str) -> RoleRepresentation:
    attributes = {**(role.attributes or {}), ROLE_OWNER: [owner_tag]}
    return RoleRepresentation(name=role.name, description=role.description, attributes=attributes)


def plan_roles(
    desired: Sequence[Role], actual: Sequence[RoleRepresentation], owner_tag: str
) -> RolePlan:
    """What to create, update and delete so that `actual` matches `desired` (pure)."""
    plan = RolePlan()
    by_name = {r.name: r for r in actual if r.name}
    wanted = {r.name for r in desired}
    for role in desired:
        want = desired_role(role, owner_tag)
        have = by_name.get(role.name)
        if have is None:
            plan.create.append(want)
            continue
        have_attrs = have.attributes or {}
        attrs_ok = all(have_attrs.get(k) == v for k, v in (want.attributes or {}).items())
        desc_ok = role.description is None or (have.description or "") == role.description
        if not (attrs_ok and desc_ok):
            merged = {**have_attrs, **(want.attributes or {})}
            description = role.description if role.description is not None else have.description
            plan.update.append(
                RoleRepresentation(name=role.name, description=description, attributes=merged)
            )
    for have in actual:
        tags = (have.attributes or {}).get(ROLE_OWNER) or []
        if have.name and have.name not in wanted and owner_tag in tags:
            plan.delete.append(have.name)
    return plan


RoleKey = tuple[str | None, str]  # (client uuid or None for realm roles, role name)


class RoleResolver:
    """Looks roles up by name (realm) or clientId + name, caching within one reconcile."""

    def __init__(self, admin: KeycloakAdmin, realm: str) -> None:
        self.admin = admin
        self.realm = realm
        self._client_uuids: dict[str, str] = {}
        self._roles: dict[RoleKey, RoleRepresentation] = {}

    def remember(self, roles: Sequence[RoleRepresentation], client_uuid: str | None) -> None:
        for role in roles:
            if role.name:
                self._roles[(client_uuid, role.name)] = role

    def client_uuid(self, client_id: str) -> str:
        if client_id not in self._client_uuids:
            found = self.admin.clients.find(self.realm, client_id)
            if found is None or not found.id:
                raise Problem(INVALID_SPEC, f"unknown client {client_id!r} in realm {self.realm!r}")
            self._client_uuids[client_id] = found.id
        return self._client_uuids[client_id]

    def role(self, name: str, client_id: str | None = None) -> RoleRepresentation:
        client_uuid = self.client_uuid(client_id) if client_id else None
        key = (client_uuid, name)
        if key not in self._roles:
            try:
                self._roles[key] = self.admin.roles.get(self.realm, name, client_uuid)
            except kc_errors.NotFound:
                where = f"client {client_id!r}" if client_id else f"realm {self.realm!r}"
                raise Problem(INVALID_SPEC, f"unknown role {name!r} of {where}") from None
        return self._roles[key]

    def resolve(self, mappings: RoleMappings) -> dict[str, RoleRepresentation]:
        """The roles named by `mappings`, keyed by their id."""
        out: dict[str, RoleRepresentation] = {}
        for name in mappings.realm_roles or ():
            role = self.role(name)
            out[role.id or name] = role
        for client_id, names in (mappings.client_roles or {}).items():
            for name in names:
                role = self.role(name, client_id)
                out[role.id or f"{client_id}/{name}"] = role
        return out


def sync_roles(
    admin: KeycloakAdmin,
    realm: str,
    desired: Sequence[Role],
    owner_tag: str,
    client_uuid: str | None = None,
) -> int:
    """Make the realm's (or a client's) roles match `desired`; returns the writes made."""
    actual = admin.roles.list(realm, client_uuid)
    resolver = RoleResolver(admin, realm)
    resolver.remember(actual, client_uuid)
    plan = plan_roles(desired, actual, owner_tag)
    writes = 0
    for new in plan.create:
        admin.roles.create(realm, new, client_uuid)
        writes += 1
    for changed in plan.update:
        admin.roles.update(realm, changed.name or "", changed, client_uuid)
        writes += 1
    for name in plan.delete:
        with contextlib.suppress(kc_errors.NotFound):
            admin.roles.delete(realm, name, client_uuid)
        writes += 1
    created = {r.name for r in plan.create}
    by_name = {r.name: r for r in actual}
    for role in desired:
        if role.composites is None:
            continue
        want = resolver.resolve(role.composites)
        have_role = by_name.get(role.name)
        have: dict[str, RoleRepresentation] = {}
        if role.name not in created and have_role is not None and have_role.composite:
            for child in admin.roles.composites(realm, role.name, client_uuid):
                have[child.id or ""] = child
        add = [r for rid, r in want.items() if rid not in have]
        remove = [r for rid, r in have.items() if rid not in want]
        if add:
            admin.roles.add_composites(realm, role.name, add, client_uuid)
            writes += 1
        if remove:
            admin.roles.remove_composites(realm, role.name, remove, client_uuid)
            writes += 1
    return writes
