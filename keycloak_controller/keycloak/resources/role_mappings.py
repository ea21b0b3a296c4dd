"""Role mappings of users or groups (realm roles and client roles)."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Literal

from keycloak_controller.keycloak.adapters import Kind, VersionAdapter
from keycloak_controller.keycloak.models import MappingsRepresentation, RoleRepresentation
from keycloak_controller.keycloak.resources.base import Resource
from keycloak_controller.keycloak.transport import KeycloakTransport


class RoleMappings(Resource):
    """`subject="users"` maps roles to users, `subject="groups"` to groups."""

    def __init__(
        self,
        transport: KeycloakTransport,
        adapter: Callable[[], VersionAdapter],
        *,
        subject: Literal["users", "groups"],
    ) -> None:
        super().__init__(transport, adapter)
        self._subject = subject

    def _base(self, realm: str, subject_id: str, client_uuid: str | None) -> str:
        if client_uuid is None:
            return self.path(realm, self._subject, subject_id, "role-mappings", "realm")
        return self.path(realm, self._subject, subject_id, "role-mappings", "clients", client_uuid)

    def all(self, realm: str, subject_id: str) -> MappingsRepresentation:
        """Direct realm and client role mappings in one call."""
        path = self.path(realm, self._subject, subject_id, "role-mappings")
        data = self._t.request_json("GET", path) or {}
        return self._parse(Kind.ROLE_MAPPINGS, MappingsRepresentation, data)

    def list(
        self, realm: str, subject_id: str, client_uuid: str | None = None
    ) -> builtins.list[RoleRepresentation]:
        """Directly mapped realm roles, or roles of one client."""
        return self._list(Kind.ROLE, RoleRepresentation, self._base(realm, subject_id, client_uuid))

    def add(
        self,
        realm: str,
        subject_id: str,
        roles: builtins.list[RoleRepresentation],
        client_uuid: str | None = None,
    ) -> None:
        """Map roles (which must carry id and name)."""
        self._send_roles("POST", self._base(realm, subject_id, client_uuid), roles)

    def remove(
        self,
        realm: str,
        subject_id: str,
        roles: builtins.list[RoleRepresentation],
        client_uuid: str | None = None,
    ) -> None:
        self._send_roles("DELETE", self._base(realm, subject_id, client_uuid), roles)
