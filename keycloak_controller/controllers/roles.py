"""Realm roles and client roles with their composites, as child sets.

- Roles (`spec.roles`): OWNED_ONLY. A listed role is created or corrected; a
  role this resource created (tagged with the role attribute
  `keycloak-controller.dev/owner`) that is no longer listed is deleted; roles
  made elsewhere (Keycloak's built-ins, other tools) are never touched.
- Composites of a listed role whose `composites` is set: AUTHORITATIVE.
Composite references are resolved while observing; a reference to a role the
same spec is about to create waits for the next pass (the create re-observes).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from keycloak_controller.api.roles import Role, RoleMappingSpec
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import RoleRepresentation

from .childset import ChildSet, Removal, SetOps
from .ownership import PREFIX
from .plan import Change
from .reasons import unresolved

ROLE_OWNER = PREFIX + "owner"
ROLES_REMOVAL = Removal.OWNED_ONLY
COMPOSITES_REMOVAL = Removal.AUTHORITATIVE


def desired_role(role: Role, owner_tag: str) -> RoleRepresentation:
    attributes = {**(role.attributes or {}), ROLE_OWNER: [owner_tag]}
    return RoleRepresentation(name=role.name, description=role.description, attributes=attributes)


def _role_equal(owner_tag: str) -> object:
    def equal(role: Role, have: RoleRepresentation) -> bool:
        want = desired_role(role, owner_tag).attributes or {}
        have_attrs = have.attributes or {}
        attrs_ok = all(have_attrs.get(k) == v for k, v in want.items())
        desc_ok = role.description is None or (have.description or "") == role.description
        return attrs_ok and desc_ok

    return equal


def role_set(owner_tag: str, path: str = "roles") -> ChildSet[Role, RoleRepresentation]:
    return ChildSet(
        name=path,
        removal=ROLES_REMOVAL,
        desired_key=lambda r: r.name,
        actual_key=lambda r: r.name or "",
        equal=_role_equal(owner_tag),  # type: ignore[arg-type]
        owned=lambda r: owner_tag in ((r.attributes or {}).get(ROLE_OWNER) or []),
        stamp=lambda _want, r: r.model_copy(
            update={"attributes": {**(r.attributes or {}), ROLE_OWNER: [owner_tag]}}
        ),
    )


def composite_set(
    role: str, path: str = "roles"
) -> ChildSet[RoleRepresentation, RoleRepresentation]:
    return ChildSet(
        name=f"{path}[{role}].composites",
        removal=COMPOSITES_REMOVAL,
        desired_key=lambda r: r.id or "",
        actual_key=lambda r: r.id or "",
    )


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
                raise unresolved(f"unknown client {client_id!r} in realm {self.realm!r}")
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
                raise unresolved(f"unknown role {name!r} of {where}") from None
        return self._roles[key]

    def resolve(self, mappings: RoleMappingSpec) -> list[RoleRepresentation]:
        """The roles named by `mappings` (realm roles, then client roles)."""
        out = [self.role(name) for name in mappings.realm_roles or ()]
        for client_id, names in (mappings.client_roles or {}).items():
            out.extend(self.role(name, client_id) for name in names)
        return out


@dataclass
class ObservedRoles:
    actual: list[RoleRepresentation]
    # Listed roles with `composites` set, that exist: (wanted, current) composites.
    composites: dict[str, tuple[list[RoleRepresentation], list[RoleRepresentation]]] = field(
        default_factory=dict
    )


def observe_roles(
    admin: KeycloakAdmin, realm: str, desired: Sequence[Role], client_uuid: str | None = None
) -> ObservedRoles:
    actual = admin.roles.list(realm, client_uuid)
    observed = ObservedRoles(actual)
    resolver = RoleResolver(admin, realm)
    resolver.remember(actual, client_uuid)
    by_name = {r.name: r for r in actual}
    listed = {r.name for r in desired}
    for role in desired:
        have = by_name.get(role.name)
        if role.composites is None or have is None:
            continue
        if _refers_to_missing(role.composites, listed, by_name, client_uuid):
            continue  # a role this spec creates first; planned after that create
        wanted = resolver.resolve(role.composites)
        current = admin.roles.composites(realm, role.name, client_uuid) if have.composite else []
        observed.composites[role.name] = (wanted, current)
    return observed


def _refers_to_missing(
    composites: RoleMappingSpec,
    listed: set[str],
    existing: dict[str | None, RoleRepresentation],
    client_uuid: str | None,
) -> bool:
    """A composite names a sibling role listed in the spec that does not exist yet."""
    siblings = composites.realm_roles if client_uuid is None else None
    return any(n in listed and n not in existing for n in siblings or ())


def plan_roles(
    admin: KeycloakAdmin,
    realm: str,
    desired: Sequence[Role],
    observed: ObservedRoles,
    owner_tag: str,
    client_uuid: str | None = None,
    path: str = "roles",
) -> list[Change]:
    """Role and composite changes; creating a role re-observes, for its composites."""
    roles = role_set(owner_tag, path)
    plan = roles.plan(desired, observed.actual)

    def create(role: Role) -> None:
        admin.roles.create(realm, desired_role(role, owner_tag), client_uuid)

    def update(role: Role, have: RoleRepresentation) -> None:
        merged = {**(have.attributes or {}), **(desired_role(role, owner_tag).attributes or {})}
        description = role.description if role.description is not None else have.description
        body = RoleRepresentation(name=role.name, description=description, attributes=merged)
        admin.roles.update(realm, role.name, body, client_uuid)

    def delete(have: RoleRepresentation) -> None:
        with contextlib.suppress(kc_errors.NotFound):
            admin.roles.delete(realm, have.name or "", client_uuid)

    changes = roles.changes(plan, SetOps(create, delete, update))
    pending = any(r.composites is not None for r in plan.create)
    changes = [
        Change(c.path, c.verb, c.run, c.target, reobserve=pending and c.verb == "create")
        for c in changes
    ]
    for name, (wanted, current) in observed.composites.items():
        changes.extend(_composite_changes(admin, realm, name, wanted, current, client_uuid, path))
    return changes


def _composite_changes(
    admin: KeycloakAdmin,
    realm: str,
    role: str,
    wanted: list[RoleRepresentation],
    current: list[RoleRepresentation],
    client_uuid: str | None,
    path: str,
) -> list[Change]:
    composites = composite_set(role, path)
    plan = composites.plan(wanted, current)
    return composites.changes(
        plan,
        SetOps(
            create=lambda r: admin.roles.add_composites(realm, role, [r], client_uuid),
            delete=lambda r: admin.roles.remove_composites(realm, role, [r], client_uuid),
        ),
    )
