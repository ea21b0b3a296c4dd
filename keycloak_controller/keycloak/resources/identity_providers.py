"""Identity providers and their mappers."""

from __future__ import annotations

import builtins

from keycloak_controller.keycloak.adapters import Kind
from keycloak_controller.keycloak.models import (
    IdentityProviderMapperRepresentation,
    IdentityProviderRepresentation,
)
from keycloak_controller.keycloak.resources.base import Resource


class IdentityProviders(Resource):
    def _base(self, realm: str, *rest: str) -> str:
        return self.path(realm, "identity-provider", "instances", *rest)

    def list(
        self,
        realm: str,
        *,
        first: int | None = None,
        max: int | None = None,
    ) -> builtins.list[IdentityProviderRepresentation]:
        params = {"first": first, "max": max, "briefRepresentation": False}
        return self._list(
            Kind.IDENTITY_PROVIDER, IdentityProviderRepresentation, self._base(realm), params
        )

    def get(self, realm: str, alias: str) -> IdentityProviderRepresentation:
        return self._get(
            Kind.IDENTITY_PROVIDER, IdentityProviderRepresentation, self._base(realm, alias)
        )

    def create(self, realm: str, idp: IdentityProviderRepresentation) -> str:
        """Create an identity provider; returns its alias."""
        return self._create(Kind.IDENTITY_PROVIDER, self._base(realm), idp)

    def update(self, realm: str, alias: str, idp: IdentityProviderRepresentation) -> None:
        self._update(Kind.IDENTITY_PROVIDER, self._base(realm, alias), idp)

    def delete(self, realm: str, alias: str) -> None:
        self._delete(self._base(realm, alias))

    # -- mappers -------------------------------------------------------------

    def mappers(
        self, realm: str, alias: str
    ) -> builtins.list[IdentityProviderMapperRepresentation]:
        return self._list(
            Kind.IDENTITY_PROVIDER_MAPPER,
            IdentityProviderMapperRepresentation,
            self._base(realm, alias, "mappers"),
        )

    def get_mapper(
        self, realm: str, alias: str, mapper_id: str
    ) -> IdentityProviderMapperRepresentation:
        return self._get(
            Kind.IDENTITY_PROVIDER_MAPPER,
            IdentityProviderMapperRepresentation,
            self._base(realm, alias, "mappers", mapper_id),
        )

    def create_mapper(
        self, realm: str, alias: str, mapper: IdentityProviderMapperRepresentation
    ) -> str:
        return self._create(
            Kind.IDENTITY_PROVIDER_MAPPER, self._base(realm, alias, "mappers"), mapper
        )

    def update_mapper(
        self, realm: str, alias: str, mapper_id: str, mapper: IdentityProviderMapperRepresentation
    ) -> None:
        self._update(
            Kind.IDENTITY_PROVIDER_MAPPER, self._base(realm, alias, "mappers", mapper_id), mapper
        )

    def delete_mapper(self, realm: str, alias: str, mapper_id: str) -> None:
        self._delete(self._base(realm, alias, "mappers", mapper_id))
