"""Fixtures for the controller tests: CRDs installed, Keycloak clients of the test's own,
and `ready_realm`: an admin Secret, a Keycloak CR and a KeycloakRealm CR, all Ready."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from keycloak_controller.keycloak.client import KeycloakAdmin
from tests.support.controller_harness import Kube, ReadyRealm, create_ready_realm
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


@pytest.fixture
def ready_realm(
    request: pytest.FixtureRequest, crds: ControlPlaneEndpoint, unique_name: Callable[[str], str]
) -> Callable[..., ReadyRealm]:
    """A factory: `ready_realm(namespace, **realm_spec)`, called with the controllers running.

    Creates the Secret `admin` with the Keycloak's admin credentials, the Keycloak CR
    `kc` on it and the KeycloakRealm CR `realm` (spec.realmName a unique name unless
    `realm_name=` is given), and returns once both are Ready. `endpoint=` names a
    Keycloak other than the shared canonical one.
    """
    kube = Kube(crds)

    def make(
        namespace: str,
        *,
        endpoint: KeycloakEndpoint | None = None,
        realm_name: str | None = None,
        timeout: float = 90.0,
        **realm_spec: Any,
    ) -> ReadyRealm:
        server = endpoint or request.getfixturevalue("keycloak")
        name = realm_name or unique_name("realm")
        return create_ready_realm(kube, namespace, server, name, timeout=timeout, **realm_spec)

    return make
