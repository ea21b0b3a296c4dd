"""Clients, their secret, their scopes and their protocol mappers."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator
from typing import Literal

from keycloak_controller.keycloak.adapters import Kind, VersionAdapter
from keycloak_controller.keycloak.errors import NotFound
from keycloak_controller.keycloak.models import (
    ClientRepresentation,
    ClientScopeRepresentation,
    CredentialRepresentation,
    KeysMetadataRepresentation,
    MappingsRepresentation,
    ProtocolMapperRepresentation,
    RoleRepresentation,
    UserRepresentation,
)
from keycloak_controller.keycloak.paging import DEFAULT_PAGE_SIZE, iter_pages
from keycloak_controller.keycloak.resources.base import Resource
from keycloak_controller.keycloak.transport import KeycloakTransport, api_path


class Clients(Resource):
    def list(
        self,
        realm: str,
        *,
        client_id: str | None = None,
        search: bool | None = None,
        first: int | None = None,
        max: int | None = None,
    ) -> builtins.list[ClientRepresentation]:
        params = {"clientId": client_id, "search": search, "first": first, "max": max}
        return self._list(Kind.CLIENT, ClientRepresentation, self.path(realm, "clients"), params)

    def iter_all(
        self, realm: str, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[ClientRepresentation]:
        return iter_pages(lambda first, size: self.list(realm, first=first, max=size), page_size)

    def get(self, realm: str, client_uuid: str) -> ClientRepresentation:
        return self._get(
            Kind.CLIENT, ClientRepresentation, self.path(realm, "clients", client_uuid)
        )

    def find(self, realm: str, client_id: str) -> ClientRepresentation | None:
        """The client whose clientId (not uuid) is exactly `client_id`, if any."""
        for client in self.list(realm, client_id=client_id):
            if client.client_id == client_id:
                return client
        return None

    def create(self, realm: str, client: ClientRepresentation) -> str:
        """Create a client; returns its uuid."""
        return self._create(Kind.CLIENT, self.path(realm, "clients"), client)

    def update(self, realm: str, client_uuid: str, client: ClientRepresentation) -> None:
        self._update(Kind.CLIENT, self.path(realm, "clients", client_uuid), client)

    def delete(self, realm: str, client_uuid: str) -> None:
        self._delete(self.path(realm, "clients", client_uuid))

    # -- secret --------------------------------------------------------------

    def get_secret(self, realm: str, client_uuid: str) -> CredentialRepresentation:
        path = self.path(realm, "clients", client_uuid, "client-secret")
        return self._get(Kind.CREDENTIAL, CredentialRepresentation, path)

    def regenerate_secret(self, realm: str, client_uuid: str) -> CredentialRepresentation:
        path = self.path(realm, "clients", client_uuid, "client-secret")
        data = self._t.request_json("POST", path)
        return self._parse(Kind.CREDENTIAL, CredentialRepresentation, data)

    def service_account_user(self, realm: str, client_uuid: str) -> UserRepresentation:
        """The client's service-account user (NotFound when it has none)."""
        data = self._t.request_json(
            "GET", self.path(realm, "clients", client_uuid, "service-account-user")
        )
        if not isinstance(data, dict) or not data.get("id"):
            raise NotFound("client has no service account user")
        return self._parse(Kind.USER, UserRepresentation, data)

    def service_account_user_id(self, realm: str, client_uuid: str) -> str:
        return str(self.service_account_user(realm, client_uuid).id)

    def idp_signing_certificate(self, realm: str, algorithm: str = "RS256") -> str | None:
        """The realm's active signing certificate for `algorithm` (base64 DER), which the
        service providers of its SAML clients verify Keycloak's signatures with."""
        data = self._t.request_json("GET", self.path(realm, "keys"))
        # The same shape on every supported version: no adapter conversion needed.
        keys = KeysMetadataRepresentation.model_validate(data or {})
        active = (keys.active or {}).get(algorithm)
        for key in keys.keys or []:
            if key.kid == active and key.certificate:
                return key.certificate
        return None

    # -- client scopes attached to the client --------------------------------

    def scopes(
        self, realm: str, client_uuid: str, *, optional: bool = False
    ) -> builtins.list[ClientScopeRepresentation]:
        kind = "optional-client-scopes" if optional else "default-client-scopes"
        path = self.path(realm, "clients", client_uuid, kind)
        return self._list(Kind.CLIENT_SCOPE, ClientScopeRepresentation, path)

    def add_scope(
        self, realm: str, client_uuid: str, scope_id: str, *, optional: bool = False
    ) -> None:
        kind = "optional-client-scopes" if optional else "default-client-scopes"
        self._t.request("PUT", self.path(realm, "clients", client_uuid, kind, scope_id))

    def remove_scope(
        self, realm: str, client_uuid: str, scope_id: str, *, optional: bool = False
    ) -> None:
        kind = "optional-client-scopes" if optional else "default-client-scopes"
        self._t.request("DELETE", self.path(realm, "clients", client_uuid, kind, scope_id))


class ClientScopes(Resource):
    def list(self, realm: str) -> builtins.list[ClientScopeRepresentation]:
        path = self.path(realm, "client-scopes")
        return self._list(Kind.CLIENT_SCOPE, ClientScopeRepresentation, path)

    def get(self, realm: str, scope_id: str) -> ClientScopeRepresentation:
        path = self.path(realm, "client-scopes", scope_id)
        return self._get(Kind.CLIENT_SCOPE, ClientScopeRepresentation, path)

    def find(self, realm: str, name: str) -> ClientScopeRepresentation | None:
        """Client scopes have no name lookup endpoint; list and match."""
        return next((s for s in self.list(realm) if s.name == name), None)

    def create(self, realm: str, scope: ClientScopeRepresentation) -> str:
        return self._create(Kind.CLIENT_SCOPE, self.path(realm, "client-scopes"), scope)

    def update(self, realm: str, scope_id: str, scope: ClientScopeRepresentation) -> None:
        self._update(Kind.CLIENT_SCOPE, self.path(realm, "client-scopes", scope_id), scope)

    def delete(self, realm: str, scope_id: str) -> None:
        self._delete(self.path(realm, "client-scopes", scope_id))

    # -- scope mappings (roles mapped to a client scope) ---------------------

    def _mappings(self, realm: str, scope_id: str, client_uuid: str | None) -> str:
        base = ("client-scopes", scope_id, "scope-mappings")
        if client_uuid is None:
            return self.path(realm, *base, "realm")
        return self.path(realm, *base, "clients", client_uuid)

    def scope_mappings(self, realm: str, scope_id: str) -> MappingsRepresentation:
        """The realm and client roles mapped to the scope, in one call."""
        path = self.path(realm, "client-scopes", scope_id, "scope-mappings")
        data = self._t.request_json("GET", path) or {}
        return self._parse(Kind.ROLE_MAPPINGS, MappingsRepresentation, data)

    def add_scope_mappings(
        self,
        realm: str,
        scope_id: str,
        roles: builtins.list[RoleRepresentation],
        client_uuid: str | None = None,
    ) -> None:
        self._send_roles("POST", self._mappings(realm, scope_id, client_uuid), roles)

    def remove_scope_mappings(
        self,
        realm: str,
        scope_id: str,
        roles: builtins.list[RoleRepresentation],
        client_uuid: str | None = None,
    ) -> None:
        self._send_roles("DELETE", self._mappings(realm, scope_id, client_uuid), roles)

    # -- the realm's default and optional client scopes ----------------------

    @staticmethod
    def _realm_default(optional: bool) -> str:
        return "default-optional-client-scopes" if optional else "default-default-client-scopes"

    def realm_defaults(
        self, realm: str, *, optional: bool = False
    ) -> builtins.list[ClientScopeRepresentation]:
        """The scopes new clients get as default (or optional) scopes."""
        path = self.path(realm, self._realm_default(optional))
        return self._list(Kind.CLIENT_SCOPE, ClientScopeRepresentation, path)

    def add_realm_default(self, realm: str, scope_id: str, *, optional: bool = False) -> None:
        self._t.request("PUT", self.path(realm, self._realm_default(optional), scope_id))

    def remove_realm_default(self, realm: str, scope_id: str, *, optional: bool = False) -> None:
        self._t.request("DELETE", self.path(realm, self._realm_default(optional), scope_id))

    def protocol_mapper_types(self) -> dict[str, set[str]]:
        """The installed protocol mapper types per protocol (from /admin/serverinfo)."""
        data = self._t.request_json("GET", api_path("admin", "serverinfo"))
        types = data.get("protocolMapperTypes") if isinstance(data, dict) else None
        return {
            protocol: {str(t.get("id")) for t in entries if isinstance(t, dict)}
            for protocol, entries in (types or {}).items()
            if isinstance(entries, list)
        }


class ProtocolMappers(Resource):
    """Protocol mappers of a client (`parent="clients"`) or a client scope."""

    def __init__(
        self,
        transport: KeycloakTransport,
        adapter: Callable[[], VersionAdapter],
        *,
        parent: Literal["clients", "client-scopes"],
    ) -> None:
        super().__init__(transport, adapter)
        self._parent = parent

    def _base(self, realm: str, owner_id: str, *rest: str) -> str:
        return self.path(realm, self._parent, owner_id, "protocol-mappers", "models", *rest)

    def list(self, realm: str, owner_id: str) -> builtins.list[ProtocolMapperRepresentation]:
        return self._list(
            Kind.PROTOCOL_MAPPER, ProtocolMapperRepresentation, self._base(realm, owner_id)
        )

    def get(self, realm: str, owner_id: str, mapper_id: str) -> ProtocolMapperRepresentation:
        return self._get(
            Kind.PROTOCOL_MAPPER,
            ProtocolMapperRepresentation,
            self._base(realm, owner_id, mapper_id),
        )

    def create(self, realm: str, owner_id: str, mapper: ProtocolMapperRepresentation) -> str:
        return self._create(Kind.PROTOCOL_MAPPER, self._base(realm, owner_id), mapper)

    def update(
        self, realm: str, owner_id: str, mapper_id: str, mapper: ProtocolMapperRepresentation
    ) -> None:
        self._update(Kind.PROTOCOL_MAPPER, self._base(realm, owner_id, mapper_id), mapper)

    def delete(self, realm: str, owner_id: str, mapper_id: str) -> None:
        self._delete(self._base(realm, owner_id, mapper_id))
