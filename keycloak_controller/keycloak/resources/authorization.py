"""Authorization services of a client: /clients/{id}/authz/resource-server.

The settings, scopes, resources, policies (typed: /policy/{type}) and
permissions (/permission/resource, /permission/scope) of one resource server.
Facts checked on 24.0.5, 25.0.6, 26.0.7 and 26.7.3:
- the representations have one shape on every supported version, so they are
  parsed as they come (no adapter conversion) and sent as they are;
- creates answer 201 with the created object (its id in the body, no Location);
- typed reads and lists hold references as ids (a role policy's roles, a
  permission's policies are not even in the list), while `export` (GET
  .../settings) gives every policy's config with names: role names
  (<clientId>/<role> for client roles), group paths, usernames, clientIds,
  and the names of a permission's resources, scopes and policies;
- a typed write that names a missing role is accepted and the role dropped
  (26.7) or a server error (older): callers resolve names first.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from keycloak_controller.keycloak.errors import KeycloakError
from keycloak_controller.keycloak.models import (
    AbstractPolicyRepresentation,
    PolicyRepresentation,
    ResourceRepresentation,
    ResourceServerRepresentation,
    ScopeRepresentation,
)
from keycloak_controller.keycloak.paging import DEFAULT_PAGE_SIZE, iter_pages
from keycloak_controller.keycloak.resources.base import Resource, to_json

M = TypeVar("M", bound=BaseModel)
PermissionType = Literal["resource", "scope"]


class Authorization(Resource):
    def _base(self, realm: str, client_uuid: str, *rest: str) -> str:
        return self.path(realm, "clients", client_uuid, "authz", "resource-server", *rest)

    def _one(self, cls: type[M], data: Any) -> M:
        if not isinstance(data, dict):
            raise KeycloakError(f"expected a {cls.__name__} object, got {type(data).__name__}")
        return cls.model_validate(data)

    def _many(self, cls: type[M], data: Any) -> builtins.list[M]:
        if not isinstance(data, list):
            raise KeycloakError(f"expected a list of {cls.__name__}, got {type(data).__name__}")
        return [self._one(cls, item) for item in data]

    def _paged(
        self, cls: type[M], path: str, params: dict[str, Any], page_size: int
    ) -> Iterator[M]:
        def page(first: int, size: int) -> builtins.list[M]:
            query = {**params, "first": first, "max": size}
            return self._many(cls, self._t.request_json("GET", path, params=query))

        return iter_pages(page, page_size)

    def _post(self, path: str, body: BaseModel, id_key: str = "id") -> str:
        data = self._t.request_json("POST", path, json=to_json(body))
        created = data.get(id_key) if isinstance(data, dict) else None
        if not created:
            raise KeycloakError("Keycloak created the object but sent no id")
        return str(created)

    # -- the resource server's settings --------------------------------------

    def settings(self, realm: str, client_uuid: str) -> ResourceServerRepresentation:
        data = self._t.request_json("GET", self._base(realm, client_uuid))
        return self._one(ResourceServerRepresentation, data)

    def update_settings(
        self, realm: str, client_uuid: str, settings: ResourceServerRepresentation
    ) -> None:
        self._t.request("PUT", self._base(realm, client_uuid), json=to_json(settings))

    def export(self, realm: str, client_uuid: str) -> ResourceServerRepresentation:
        """Everything at once, references by name (what an export file holds)."""
        data = self._t.request_json("GET", self._base(realm, client_uuid, "settings"))
        return self._one(ResourceServerRepresentation, data)

    # -- scopes --------------------------------------------------------------

    def scopes(
        self, realm: str, client_uuid: str, page_size: int = DEFAULT_PAGE_SIZE
    ) -> builtins.list[ScopeRepresentation]:
        path = self._base(realm, client_uuid, "scope")
        return list(self._paged(ScopeRepresentation, path, {}, page_size))

    def create_scope(self, realm: str, client_uuid: str, scope: ScopeRepresentation) -> str:
        return self._post(self._base(realm, client_uuid, "scope"), scope)

    def update_scope(
        self, realm: str, client_uuid: str, scope_id: str, scope: ScopeRepresentation
    ) -> None:
        path = self._base(realm, client_uuid, "scope", scope_id)
        self._t.request("PUT", path, json=to_json(scope))

    def delete_scope(self, realm: str, client_uuid: str, scope_id: str) -> None:
        self._t.request("DELETE", self._base(realm, client_uuid, "scope", scope_id))

    # -- resources -----------------------------------------------------------

    def resources(
        self, realm: str, client_uuid: str, page_size: int = DEFAULT_PAGE_SIZE
    ) -> builtins.list[ResourceRepresentation]:
        """Every resource with its owner (deep=false: without scopes and policies)."""
        path = self._base(realm, client_uuid, "resource")
        return list(self._paged(ResourceRepresentation, path, {"deep": "false"}, page_size))

    def create_resource(
        self, realm: str, client_uuid: str, resource: ResourceRepresentation
    ) -> str:
        return self._post(self._base(realm, client_uuid, "resource"), resource, id_key="_id")

    def update_resource(
        self, realm: str, client_uuid: str, resource_id: str, resource: ResourceRepresentation
    ) -> None:
        path = self._base(realm, client_uuid, "resource", resource_id)
        self._t.request("PUT", path, json=to_json(resource))

    def delete_resource(self, realm: str, client_uuid: str, resource_id: str) -> None:
        self._t.request("DELETE", self._base(realm, client_uuid, "resource", resource_id))

    # -- policies (and, through /policy, permissions) ------------------------

    def policies(
        self,
        realm: str,
        client_uuid: str,
        *,
        permission: bool | None = False,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> builtins.list[PolicyRepresentation]:
        """Policies (permission=False), permissions (True) or both (None); Keycloak
        pages this list (100 by default), so it is read page by page."""
        path = self._base(realm, client_uuid, "policy")
        params = {} if permission is None else {"permission": str(permission).lower()}
        return list(self._paged(PolicyRepresentation, path, params, page_size))

    def get_policy(
        self, realm: str, client_uuid: str, policy_type: str, policy_id: str
    ) -> AbstractPolicyRepresentation:
        """The typed representation (e.g. a role policy's `roles`, as ids)."""
        data = self._t.request_json(
            "GET", self._base(realm, client_uuid, "policy", policy_type, policy_id)
        )
        return self._one(AbstractPolicyRepresentation, data)

    def create_policy(
        self,
        realm: str,
        client_uuid: str,
        policy_type: str,
        policy: AbstractPolicyRepresentation,
    ) -> str:
        """Create a policy of `policy_type` (role, group, ...): the body is the typed
        representation (the type's fields beside the common ones)."""
        return self._post(self._base(realm, client_uuid, "policy", policy_type), policy)

    def update_policy(
        self,
        realm: str,
        client_uuid: str,
        policy_type: str,
        policy_id: str,
        policy: AbstractPolicyRepresentation,
    ) -> None:
        path = self._base(realm, client_uuid, "policy", policy_type, policy_id)
        self._t.request("PUT", path, json=to_json(policy))

    def delete_policy(self, realm: str, client_uuid: str, policy_id: str) -> None:
        """Delete a policy or a permission (they share /policy/{id})."""
        self._t.request("DELETE", self._base(realm, client_uuid, "policy", policy_id))

    # -- permissions ---------------------------------------------------------

    def permissions(
        self, realm: str, client_uuid: str, page_size: int = DEFAULT_PAGE_SIZE
    ) -> builtins.list[PolicyRepresentation]:
        path = self._base(realm, client_uuid, "permission")
        return list(self._paged(PolicyRepresentation, path, {}, page_size))

    def create_permission(
        self,
        realm: str,
        client_uuid: str,
        permission_type: PermissionType,
        permission: AbstractPolicyRepresentation,
    ) -> str:
        path = self._base(realm, client_uuid, "permission", permission_type)
        return self._post(path, permission)

    def update_permission(
        self,
        realm: str,
        client_uuid: str,
        permission_type: PermissionType,
        permission_id: str,
        permission: AbstractPolicyRepresentation,
    ) -> None:
        path = self._base(realm, client_uuid, "permission", permission_type, permission_id)
        self._t.request("PUT", path, json=to_json(permission))
