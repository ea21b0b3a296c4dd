"""The Admin API calls a KeycloakUser reconciler makes, on every pinned Keycloak.

Users by exact username, the password (proven by a real resource-owner password
grant against the realm's token endpoint), group membership by path, and links
to an identity provider. Everything goes through KeycloakAdmin and its version
adapter; nothing is mocked.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.errors import BadRequest, Conflict, KeycloakError, NotFound
from keycloak_controller.keycloak.models import (
    ClientRepresentation,
    FederatedIdentityRepresentation,
    GroupRepresentation,
    IdentityProviderRepresentation,
    RealmRepresentation,
    UserRepresentation,
)
from keycloak_controller.keycloak.secrets import Secret

pytestmark = pytest.mark.keycloak_versions

LOGIN_CLIENT = "direct-grant-test"


def person(username: str, **fields: object) -> UserRepresentation:
    """A user the default user profile (24+) lets log in: email and names are required."""
    return UserRepresentation.model_validate(
        {
            "username": username,
            "enabled": True,
            "email": f"{username}@example.com",
            "emailVerified": True,
            "firstName": username.capitalize(),
            "lastName": "Tester",
            **fields,
        }
    )


def token_request(
    admin: KeycloakAdmin, realm: str, username: str, password: str
) -> requests.Response:
    """The resource-owner password grant, as an application would send it."""
    return requests.post(
        f"{admin.transport.base_url}/realms/{realm}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": LOGIN_CLIENT,
            "username": username,
            "password": password,
        },
        timeout=30,
    )


def can_log_in(admin: KeycloakAdmin, realm: str, username: str, password: str) -> bool:
    response = token_request(admin, realm, username, password)
    if response.status_code == 200:
        assert response.json()["access_token"]
        return True
    assert response.status_code in (400, 401), response.text
    return False


def test_find_by_exact_username_create_update_delete(
    admin_any: KeycloakAdmin, realm_any: str
) -> None:
    users = admin_any.users
    alice = users.create(realm_any, person("alice"))
    alice_longer = users.create(realm_any, person("alice2"))
    assert alice != alice_longer

    found = users.find(realm_any, "alice")
    assert found is not None and found.id == alice  # not alice2, which also matches a search
    upper = users.find(realm_any, "ALICE")
    assert upper is not None and upper.id == alice  # Keycloak lower-cases usernames
    assert users.find(realm_any, "ali") is None
    assert [u.username for u in users.list(realm_any, username="alice", exact=True)] == ["alice"]

    user = users.get(realm_any, alice)
    assert (user.username, user.email, user.enabled) == ("alice", "alice@example.com", True)
    user.first_name = "Alicia"
    user.required_actions = ["CONFIGURE_TOTP"]
    users.update(realm_any, alice, user)
    got = users.get(realm_any, alice)
    assert (got.first_name, got.required_actions) == ("Alicia", ["CONFIGURE_TOTP"])
    got.required_actions = []
    users.update(realm_any, alice, got)
    assert users.get(realm_any, alice).required_actions == []

    with pytest.raises(Conflict):
        users.create(realm_any, person("alice"))
    users.delete(realm_any, alice)
    assert users.find(realm_any, "alice") is None
    with pytest.raises(NotFound):
        users.get(realm_any, alice)
    with pytest.raises(NotFound):
        users.delete(realm_any, alice)


def test_reset_password_then_log_in_with_a_direct_grant(
    admin_any: KeycloakAdmin, realm_any: str
) -> None:
    admin_any.clients.create(
        realm_any,
        ClientRepresentation(
            client_id=LOGIN_CLIENT,
            public_client=True,
            direct_access_grants_enabled=True,
            standard_flow_enabled=False,
        ),
    )
    users = admin_any.users
    user_id = users.create(realm_any, person("bob"))
    assert users.password_credential(realm_any, user_id) is None
    assert not can_log_in(admin_any, realm_any, "bob", "first-Pa55word")

    users.reset_password(realm_any, user_id, Secret("first-Pa55word"))
    assert can_log_in(admin_any, realm_any, "bob", "first-Pa55word")
    assert not can_log_in(admin_any, realm_any, "bob", "wrong-Pa55word")
    first = users.password_credential(realm_any, user_id)
    assert first is not None and first.type == "password" and first.created_date
    assert first.value is None and first.secret_data is None  # never the value

    time.sleep(0.01)  # createdDate has millisecond resolution
    users.reset_password(realm_any, user_id, Secret("second-Pa55word"))
    assert can_log_in(admin_any, realm_any, "bob", "second-Pa55word")
    assert not can_log_in(admin_any, realm_any, "bob", "first-Pa55word")
    second = users.password_credential(realm_any, user_id)
    assert second is not None and (second.created_date or 0) > first.created_date
    assert [c.type for c in users.credentials(realm_any, user_id)] == ["password"]

    # A temporary password is set, but the direct grant refuses it until the user
    # has chosen a new one (UPDATE_PASSWORD is pending).
    users.reset_password(realm_any, user_id, Secret("third-Pa55word"), temporary=True)
    response = token_request(admin_any, realm_any, "bob", "third-Pa55word")
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_grant"
    assert "UPDATE_PASSWORD" in (users.get(realm_any, user_id).required_actions or [])


def test_a_refused_password_is_not_echoed(
    admin_any: KeycloakAdmin, unique_name: Callable[[str], str]
) -> None:
    realm = unique_name("realm")
    admin_any.realms.create(
        RealmRepresentation(realm=realm, enabled=True, password_policy="length(20)")
    )
    try:
        user_id = admin_any.users.create(realm, person("carol"))
        password = "Short-Pa55-7f3a"
        with pytest.raises(BadRequest) as refused:
            admin_any.users.reset_password(realm, user_id, Secret(password))
        error: KeycloakError = refused.value
        assert password not in str(error) and password not in repr(error.args)
        assert admin_any.users.password_credential(realm, user_id) is None
    finally:
        admin_any.realms.delete(realm)


def test_groups_by_path_join_and_leave(admin_any: KeycloakAdmin, realm_any: str) -> None:
    groups, users = admin_any.groups, admin_any.users
    engineering = groups.create(realm_any, GroupRepresentation(name="engineering"))
    backend = groups.create(realm_any, GroupRepresentation(name="backend"), parent_id=engineering)
    groups.create(realm_any, GroupRepresentation(name="frontend"), parent_id=engineering)
    ops = groups.create(realm_any, GroupRepresentation(name="ops team"))

    found = groups.find_by_path(realm_any, "/engineering/backend")
    assert found is not None and (found.id, found.path) == (backend, "/engineering/backend")
    spaced = groups.find_by_path(realm_any, "/ops team")
    assert spaced is not None and spaced.id == ops
    assert groups.find_by_path(realm_any, "/engineering/nope") is None
    assert groups.find_by_path(realm_any, "/nope") is None
    with pytest.raises(NotFound):
        groups.get_by_path(realm_any, "/nope")

    user_id = users.create(realm_any, person("dave"))
    assert users.groups(realm_any, user_id) == []
    for group_id in (backend, engineering, ops):
        users.join_group(realm_any, user_id, group_id)
    users.join_group(realm_any, user_id, backend)  # joining twice is not an error
    paths = sorted(g.path or "" for g in users.groups(realm_any, user_id))
    assert paths == ["/engineering", "/engineering/backend", "/ops team"]
    # Paged: one group per request still yields every membership once.
    paged = sorted(g.path or "" for g in users.iter_groups(realm_any, user_id, page_size=1))
    assert paged == paths
    assert len(users.groups(realm_any, user_id, first=0, max=2)) == 2

    users.leave_group(realm_any, user_id, engineering)  # a direct membership only
    assert sorted(g.path or "" for g in users.groups(realm_any, user_id)) == [
        "/engineering/backend",
        "/ops team",
    ]
    users.leave_group(realm_any, user_id, backend)
    users.leave_group(realm_any, user_id, ops)
    assert users.groups(realm_any, user_id) == []


def test_federated_identity_add_and_remove(admin_any: KeycloakAdmin, realm_any: str) -> None:
    for alias in ("corp", "partner"):
        admin_any.identity_providers.create(
            realm_any,
            IdentityProviderRepresentation(
                alias=alias,
                provider_id="oidc",
                enabled=True,
                config={
                    "clientId": f"{alias}-client",
                    "clientSecret": "idp-secret",
                    "clientAuthMethod": "client_secret_post",
                    "authorizationUrl": f"https://{alias}.idp.example/auth",
                    "tokenUrl": f"https://{alias}.idp.example/token",
                },
            ),
        )
    users = admin_any.users
    user_id = users.create(realm_any, person("erin"))
    assert users.federated_identities(realm_any, user_id) == []

    corp = FederatedIdentityRepresentation(
        identity_provider="corp", user_id="corp-42", user_name="erin.corp"
    )
    users.add_federated_identity(realm_any, user_id, corp)
    users.add_federated_identity(
        realm_any,
        user_id,
        FederatedIdentityRepresentation(
            identity_provider="partner", user_id="p-7", user_name="erin@partner"
        ),
    )
    links = sorted(
        users.federated_identities(realm_any, user_id), key=lambda f: f.identity_provider or ""
    )
    assert [(f.identity_provider, f.user_id, f.user_name) for f in links] == [
        ("corp", "corp-42", "erin.corp"),
        ("partner", "p-7", "erin@partner"),
    ]
    # One link per provider: a second one is refused, the first one stays.
    with pytest.raises(Conflict):
        users.add_federated_identity(
            realm_any,
            user_id,
            FederatedIdentityRepresentation(
                identity_provider="corp", user_id="corp-43", user_name="other"
            ),
        )
    # The Admin API does not stop a second user from claiming the same provider
    # account (a login would then be ambiguous): uniqueness is the caller's job.
    other = users.create(realm_any, person("frank"))
    users.add_federated_identity(realm_any, other, corp)
    assert [f.user_id for f in users.federated_identities(realm_any, other)] == ["corp-42"]

    users.remove_federated_identity(realm_any, user_id, "corp")
    assert [f.identity_provider for f in users.federated_identities(realm_any, user_id)] == [
        "partner"
    ]
    with pytest.raises(NotFound):
        users.remove_federated_identity(realm_any, user_id, "corp")
    users.remove_federated_identity(realm_any, user_id, "partner")
    assert users.federated_identities(realm_any, user_id) == []
    # A link to a provider that does not exist is answered with success and not
    # stored: a caller must check that the provider exists first.
    users.add_federated_identity(
        realm_any,
        user_id,
        FederatedIdentityRepresentation(identity_provider="nope", user_id="1", user_name="x"),
    )
    assert users.federated_identities(realm_any, user_id) == []


def test_the_default_user_profile_drops_undeclared_attributes(
    admin_any: KeycloakAdmin, realm_any: str
) -> None:
    """Why spec.attributes says keys must be declared, and why the password digest is
    kept in status and not as a user attribute: on 24+ an attribute that the realm's
    user profile does not declare is dropped without an error."""
    users = admin_any.users
    user_id = users.create(
        realm_any,
        person(
            "grace", attributes={"department": ["wonderland"], "keycloak-controller.dev/x": ["1"]}
        ),
    )
    assert not (users.get(realm_any, user_id).attributes or {}).keys() & {
        "department",
        "keycloak-controller.dev/x",
    }
    user = users.get(realm_any, user_id)
    user.attributes = {**(user.attributes or {}), "department": ["wonderland"]}
    users.update(realm_any, user_id, user)
    assert "department" not in (users.get(realm_any, user_id).attributes or {})
