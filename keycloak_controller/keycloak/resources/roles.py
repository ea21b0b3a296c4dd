"""Realm roles and client roles, with their composites."""

from __future__ import annotations

import builtins
from collections.abc import Iterator

from keycloak_controller.keycloak.adapters import Kind
from keycloak_controller.keycloak.models import RoleRepresentation
from keycloak_controller.keycloak.paging import DEFAULT_PAGE_SIZE, iter_pages
from keycloak_controller.keycloak.resources.base import Resource


class Roles(Resource):
    """Pass `client_uuid` to work on that client's roles, omit it for realm roles."""

    def _base(self, realm: str, client_uuid: str | None, *rest: str) -> str:
        if client_uuid is None:
            return self.path(realm, "roles", *rest)
        return self.path(realm, "clients", client_uuid, "roles", *rest)

    def list(
        self,
        realm: str,
        client_uuid: str | None = None,
        *,
        search: str | None = None,
        first: int | None = None,
        max: int | None = None,
    ) -> builtins.list[RoleRepresentation]:
        params = {"search": search, "first": first, "max": max, "briefRepresentation": False}
        return self._list(Kind.ROLE, RoleRepresentation, self._base(realm, client_uuid), params)

    def iter_all(
        self, realm: str, client_uuid: str | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[RoleRepresentation]:
        return iter_pages(
            lambda first, size: self.list(realm, client_uuid, first=first, max=size), page_size
        )

    def get(self, realm: str, name: str, client_uuid: str | None = None) -> RoleRepresentation:
        return self._get(Kind.ROLE, RoleRepresentation, self._base(realm, client_uuid, name))

    def create(self, realm: str, role: RoleRepresentation, client_uuid: str | None = None) -> str:
        """Create a role; returns its name (Keycloak's Location ends in the name)."""
        return self._create(Kind.ROLE, self._base(realm, client_uuid), role)

    def update(
        self, realm: str, name: str, role: RoleRepresentation, client_uuid: str | None = None
    ) -> None:
        self._update(Kind.ROLE, self._base(realm, client_uuid, name), role)

    def delete(self, realm: str, name: str, client_uuid: str | None = None) -> None:
        self._delete(self._base(realm, client_uuid, name))

    # -- composites ----------------------------------------------------------

    def composites(
        self, realm: str, name: str, client_uuid: str | None = None
    ) -> builtins.list[RoleRepresentation]:
        path = self._base(realm, client_uuid, name, "composites")
        return self._list(Kind.ROLE, RoleRepresentation, path)

    def add_composites(
        self,
        realm: str,
        name: str,
        roles: builtins.list[RoleRepresentation],
        client_uuid: str | None = None,
    ) -> None:
        """Make `roles` (which must carry their ids) children of role `name`."""
        self._send_roles("POST", self._base(realm, client_uuid, name, "composites"), roles)

    def remove_composites(
        self,
        realm: str,
        name: str,
        roles: builtins.list[RoleRepresentation],
        client_uuid: str | None = None,
    ) -> None:
        self._send_roles("DELETE", self._base(realm, client_uuid, name, "composites"), roles)
