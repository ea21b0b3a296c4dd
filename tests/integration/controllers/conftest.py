"""Fixtures for the controller tests: CRDs installed, a namespace with an admin Secret,
a Keycloak CR, and the controllers running for that namespace only."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from keycloak_controller.keycloak.client import KeycloakAdmin
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.crds import install_crds
from tests.support.keycloak_server import KeycloakEndpoint


@pytest.fixture(scope="session")
def crds(control_plane: ControlPlaneEndpoint) -> ControlPlaneEndpoint:
    install_crds(control_plane)
    return control_plane


@pytest.fixture
def direct_admin(keycloak: KeycloakEndpoint) -> Iterator[KeycloakAdmin]:
    """A Keycloak client that is not the controller's, for checks and hand-made drift."""
    with KeycloakAdmin.with_password(
        keycloak.base_url, keycloak.admin_username, keycloak.admin_password
    ) as admin:
        yield admin


@pytest.fixture
def make_admin() -> Iterator[Callable[[KeycloakEndpoint], KeycloakAdmin]]:
    made: list[KeycloakAdmin] = []

    def make(endpoint: KeycloakEndpoint) -> KeycloakAdmin:
        admin = KeycloakAdmin.with_password(
            endpoint.base_url, endpoint.admin_username, endpoint.admin_password
        )
        made.append(admin)
        return admin

    yield make
    for admin in made:
        admin.close()
