"""The real Keycloak of every pinned version answers the Admin API.

Deliberately uses plain requests rather than our client, so that a failure
here points at the environment, not at keycloak_controller.keycloak.
"""

from __future__ import annotations

from collections.abc import Callable

import requests

from tests.support.keycloak_server import KeycloakEndpoint, password_grant_token


def _admin_token(kc: KeycloakEndpoint) -> str:
    return password_grant_token(kc.base_url, "master", kc.admin_username, kc.admin_password)


def test_realm_round_trip_on_every_version(
    keycloak_any_version: KeycloakEndpoint, unique_name: Callable[[str], str]
) -> None:
    kc = keycloak_any_version
    headers = {"Authorization": f"Bearer {_admin_token(kc)}"}
    realm = unique_name("smoke")

    created = requests.post(
        f"{kc.base_url}/admin/realms",
        json={"realm": realm, "enabled": True, "displayName": "Smoke test"},
        headers=headers,
        timeout=60,
    )
    assert created.status_code == 201, created.text

    fetched = requests.get(f"{kc.base_url}/admin/realms/{realm}", headers=headers, timeout=30)
    assert fetched.status_code == 200
    assert fetched.json()["realm"] == realm
    assert fetched.json()["displayName"] == "Smoke test"

    info = requests.get(f"{kc.base_url}/admin/serverinfo", headers=headers, timeout=30)
    assert info.json()["systemInfo"]["version"] == kc.version

    deleted = requests.delete(f"{kc.base_url}/admin/realms/{realm}", headers=headers, timeout=60)
    assert deleted.status_code == 204
    gone = requests.get(f"{kc.base_url}/admin/realms/{realm}", headers=headers, timeout=30)
    assert gone.status_code == 404


def test_health_is_served_where_the_version_puts_it(keycloak_any_version: KeycloakEndpoint) -> None:
    kc = keycloak_any_version
    ready = requests.get(f"{kc.management_url}/health/ready", timeout=10)
    assert ready.status_code == 200
    assert ready.json()["status"] == "UP"
    # 25+ moved health to the management port; 24 keeps it on the main port.
    assert (kc.management_url != kc.base_url) == (kc.major >= 25)
