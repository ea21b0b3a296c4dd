"""Users, their credentials, group membership and identity-provider links."""

from __future__ import annotations

import builtins
from collections.abc import Iterator

from keycloak_controller.keycloak.adapters import Kind
from keycloak_controller.keycloak.errors import KeycloakError
from keycloak_controller.keycloak.models import (
    CredentialRepresentation,
    FederatedIdentityRepresentation,
    GroupRepresentation,
    UserRepresentation,
)
from keycloak_controller.keycloak.paging import DEFAULT_PAGE_SIZE, iter_pages
from keycloak_controller.keycloak.resources.base import Resource
from keycloak_controller.keycloak.secrets import Secret

PASSWORD = "password"  # noqa: S105 (the credential type, not a password)


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

    def reset_password(
        self, realm: str, user_id: str, password: Secret, *, temporary: bool = False
    ) -> None:
        """Replace the user's password; `temporary`: the user must change it at next login.

        The value stays wrapped in `Secret` until the request body is built, so it
        cannot reach a log line or an exception message through this call's arguments.
        """
        credential = CredentialRepresentation(
            type=PASSWORD, value=password.reveal(), temporary=temporary
        )
        self.set_password(realm, user_id, credential)

    def password_credential(self, realm: str, user_id: str) -> CredentialRepresentation | None:
        """The user's password credential (metadata only: Keycloak never returns the value)."""
        return next((c for c in self.credentials(realm, user_id) if c.type == PASSWORD), None)

    def credentials(self, realm: str, user_id: str) -> builtins.list[CredentialRepresentation]:
        path = self.path(realm, "users", user_id, "credentials")
        return self._list(Kind.CREDENTIAL, CredentialRepresentation, path)

    def delete_credential(self, realm: str, user_id: str, credential_id: str) -> None:
        self._delete(self.path(realm, "users", user_id, "credentials", credential_id))

    # -- groups --------------------------------------------------------------

    def groups(
        self, realm: str, user_id: str, *, first: int | None = None, max: int | None = None
    ) -> builtins.list[GroupRepresentation]:
        """One page of the groups the user is a direct member of (Keycloak's default: 100)."""
        path = self.path(realm, "users", user_id, "groups")
        params = {"first": first, "max": max, "briefRepresentation": False}
        return self._list(Kind.GROUP, GroupRepresentation, path, params)

    def iter_groups(
        self, realm: str, user_id: str, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[GroupRepresentation]:
        """Every group the user is a direct member of, page by page."""
        return iter_pages(
            lambda first, size: self.groups(realm, user_id, first=first, max=size), page_size
        )

    def join_group(self, realm: str, user_id: str, group_id: str) -> None:
        self._t.request("PUT", self.path(realm, "users", user_id, "groups", group_id))

    def leave_group(self, realm: str, user_id: str, group_id: str) -> None:
        self._t.request("DELETE", self.path(realm, "users", user_id, "groups", group_id))

    # -- identity-provider links ---------------------------------------------
    #
    # FederatedIdentityRepresentation has no adapter kind of its own: it is a part
    # of UserRepresentation (its federatedIdentities), so it is converted and
    # checked as that part of a user. A version rule for it belongs on the user.

    def federated_identities(
        self, realm: str, user_id: str
    ) -> builtins.list[FederatedIdentityRepresentation]:
        """The user's links to identity-provider accounts."""
        data = self._t.request_json("GET", self.path(realm, "users", user_id, "federated-identity"))
        if not isinstance(data, list):
            raise KeycloakError(
                f"expected a list of FederatedIdentityRepresentation, got {type(data).__name__}"
            )
        user = self._parse(Kind.USER, UserRepresentation, {"federatedIdentities": data})
        return user.federated_identities or []

    def add_federated_identity(
        self, realm: str, user_id: str, link: FederatedIdentityRepresentation
    ) -> None:
        """Link the user to an account at `link.identity_provider` (an IdP alias).

        Keycloak answers 409 Conflict when the user already has a link to that
        provider. It does not refuse a second user's link to the same provider
        account, and it answers success but stores nothing when no provider has
        that alias: check that the provider exists first.
        """
        if not link.identity_provider:
            raise ValueError("a federated identity needs identity_provider (the IdP alias)")
        body = self._outbound(Kind.USER, UserRepresentation(federated_identities=[link]))
        path = self.path(realm, "users", user_id, "federated-identity", link.identity_provider)
        self._t.request("POST", path, json=body["federatedIdentities"][0])

    def remove_federated_identity(self, realm: str, user_id: str, identity_provider: str) -> None:
        """Unlink the user from the identity provider with this alias."""
        self._delete(self.path(realm, "users", user_id, "federated-identity", identity_provider))
