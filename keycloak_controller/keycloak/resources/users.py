"""Users, their credentials and group membership."""

from __future__ import annotations

import builtins
from collections.abc import Iterator

from keycloak_controller.keycloak.adapters import Kind
from keycloak_controller.keycloak.models import (
    CredentialRepresentation,
    GroupRepresentation,
    UserRepresentation,
)
from keycloak_controller.keycloak.paging import DEFAULT_PAGE_SIZE, iter_pages
from keycloak_controller.keycloak.resources.base import Resource


class Users(Resource):
    def list(
        self,
        realm: str,
        *,
        username: str | None = None,
        search: str | None = None,
        exact: bool | None = None,
        first: int | None = None,
        max: int | None = None,
    ) -> builtins.list[UserRepresentation]:
        params = {
            "username": username,
            "search": search,
            "exact": exact,
            "first": first,
            "max": max,
            "briefRepresentation": False,
        }
        return self._list(Kind.USER, UserRepresentation, self.path(realm, "users"), params)

    def iter_all(
        self, realm: str, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[UserRepresentation]:
        return iter_pages(lambda first, size: self.list(realm, first=first, max=size), page_size)

    def get(self, realm: str, user_id: str) -> UserRepresentation:
        return self._get(Kind.USER, UserRepresentation, self.path(realm, "users", user_id))

    def find(self, realm: str, username: str) -> UserRepresentation | None:
        """The user with exactly this username (Keycloak lowercases usernames)."""
        wanted = username.lower()
        for user in self.list(realm, username=username, exact=True):
            if (user.username or "").lower() == wanted:
                return user
        return None

    def create(self, realm: str, user: UserRepresentation) -> str:
        """Create a user (credentials in the payload are set too); returns its id."""
        return self._create(Kind.USER, self.path(realm, "users"), user)

    def update(self, realm: str, user_id: str, user: UserRepresentation) -> None:
        """Replace the user. Since 24.0.4 attributes are not merged: send them all."""
        self._update(Kind.USER, self.path(realm, "users", user_id), user)

    def delete(self, realm: str, user_id: str) -> None:
        self._delete(self.path(realm, "users", user_id))

    # -- credentials ---------------------------------------------------------

    def set_password(self, realm: str, user_id: str, credential: CredentialRepresentation) -> None:
        """Set a password credential (type "password", value, temporary)."""
        path = self.path(realm, "users", user_id, "reset-password")
        self._t.request("PUT", path, json=self._outbound(Kind.CREDENTIAL, credential))

    def credentials(self, realm: str, user_id: str) -> builtins.list[CredentialRepresentation]:
        path = self.path(realm, "users", user_id, "credentials")
        return self._list(Kind.CREDENTIAL, CredentialRepresentation, path)

    def delete_credential(self, realm: str, user_id: str, credential_id: str) -> None:
        self._delete(self.path(realm, "users", user_id, "credentials", credential_id))

    # -- groups --------------------------------------------------------------

    def groups(self, realm: str, user_id: str) -> builtins.list[GroupRepresentation]:
        path = self.path(realm, "users", user_id, "groups")
        return self._list(Kind.GROUP, GroupRepresentation, path, {"briefRepresentation": False})

    def join_group(self, realm: str, user_id: str, group_id: str) -> None:
        self._t.request("PUT", self.path(realm, "users", user_id, "groups", group_id))

    def leave_group(self, realm: str, user_id: str, group_id: str) -> None:
        self._t.request("DELETE", self.path(realm, "users", user_id, "groups", group_id))
