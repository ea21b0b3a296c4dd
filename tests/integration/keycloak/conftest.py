"""Fixtures for the Keycloak Admin API tests: clients bound to real servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import RealmRepresentation
from tests.support.keycloak_server import KeycloakEndpoint


def connect(endpoint: KeycloakEndpoint, **kwargs: object) -> KeycloakAdmin:
    return KeycloakAdmin.with_password(
        endpoint.base_url,
        endpoint.admin_username,
        endpoint.admin_password,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def admin(keycloak: KeycloakEndpoint) -> Iterator[KeycloakAdmin]:
    with connect(keycloak) as client:
        yield client


@pytest.fixture
def admin_any(keycloak_any_version: KeycloakEndpoint) -> Iterator[KeycloakAdmin]:
    with connect(keycloak_any_version) as client:
        yield client


def _realm(client: KeycloakAdmin, unique_name: Callable[[str], str]) -> Iterator[str]:
    name = unique_name("realm")
    client.realms.create(RealmRepresentation(realm=name, enabled=True))
    yield name
    client.realms.delete(name)


@pytest.fixture
def realm(admin: KeycloakAdmin, unique_name: Callable[[str], str]) -> Iterator[str]:
    """A fresh realm on the canonical Keycloak, deleted afterwards."""
    yield from _realm(admin, unique_name)


@pytest.fixture
def realm_any(admin_any: KeycloakAdmin, unique_name: Callable[[str], str]) -> Iterator[str]:
    """A fresh realm on each Keycloak version, deleted afterwards."""
    yield from _realm(admin_any, unique_name)
