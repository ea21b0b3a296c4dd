from __future__ import annotations

from keycloak_controller.keycloak.client import KeycloakAdmin
from tests.support.keycloak_server import KeycloakEndpoint


def test_version_detected_from_serverinfo(
    admin_any: KeycloakAdmin, keycloak_any_version: KeycloakEndpoint
) -> None:
    assert str(admin_any.version) == keycloak_any_version.version
    assert admin_any.adapter.version.major == keycloak_any_version.major
