"""Organizations (26+, preview in 25), their members and identity providers.

Every method first asks the adapter: on 24 it raises UnsupportedByVersion
without contacting the server.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator

from keycloak_controller.keycloak.adapters import Kind
from keycloak_controller.keycloak.models import (
    IdentityProviderRepresentation,
    MemberRepresentation,
    OrganizationRepresentation,
)
from keycloak_controller.keycloak.paging import DEFAULT_PAGE_SIZE, iter_pages
from keycloak_controller.keycloak.resources.base import Resource


class Organizations(Resource):
    def _base(self, realm: str, *rest: str) -> str:
        self.adapter.require_organizations()
        return self.path(realm, "organizations", *rest)

    def list(
        self,
        realm: str,
        *,
        search: str | None = None,
        exact: bool | None = None,
        first: int | None = None,
        max: int | None = None,
    ) -> builtins.list[OrganizationRepresentation]:
        params = {
            "search": search,
            "exact": exact,
            "first": first,
            "max": max,
            "briefRepresentation": False,
        }
        return self._list(Kind.ORGANIZATION, OrganizationRepresentation, self._base(realm), params)

    def iter_all(
        self, realm: str, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[OrganizationRepresentation]:
        return iter_pages(lambda first, size: self.list(realm, first=first, max=size), page_size)

    def get(self, realm: str, org_id: str) -> OrganizationRepresentation:
        return self._get(Kind.ORGANIZATION, OrganizationRepresentation, self._base(realm, org_id))

    def find(self, realm: str, name: str) -> OrganizationRepresentation | None:
        return next((o for o in self.list(realm, search=name, exact=True) if o.name == name), None)

    def create(self, realm: str, org: OrganizationRepresentation) -> str:
        return self._create(Kind.ORGANIZATION, self._base(realm), org)

    def update(self, realm: str, org_id: str, org: OrganizationRepresentation) -> None:
        self._update(Kind.ORGANIZATION, self._base(realm, org_id), org)

    def delete(self, realm: str, org_id: str) -> None:
        self._delete(self._base(realm, org_id))

    # -- members -------------------------------------------------------------

    def members(self, realm: str, org_id: str) -> builtins.list[MemberRepresentation]:
        path = self._base(realm, org_id, "members")
        return self._list(Kind.USER, MemberRepresentation, path)

    def add_member(self, realm: str, org_id: str, user_id: str) -> None:
        body = self.adapter.organization_link_body(user_id)
        self._t.request("POST", self._base(realm, org_id, "members"), json=body)

    def remove_member(self, realm: str, org_id: str, user_id: str) -> None:
        self._delete(self._base(realm, org_id, "members", user_id))

    # -- identity providers --------------------------------------------------

    def identity_providers(
        self, realm: str, org_id: str
    ) -> builtins.list[IdentityProviderRepresentation]:
        path = self._base(realm, org_id, "identity-providers")
        return self._list(Kind.IDENTITY_PROVIDER, IdentityProviderRepresentation, path)

    def link_identity_provider(self, realm: str, org_id: str, alias: str) -> None:
        body = self.adapter.organization_link_body(alias)
        self._t.request("POST", self._base(realm, org_id, "identity-providers"), json=body)

    def unlink_identity_provider(self, realm: str, org_id: str, alias: str) -> None:
        self._delete(self._base(realm, org_id, "identity-providers", alias))
