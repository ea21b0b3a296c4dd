"""The controllers on a Keycloak that needs the 26.0 adapter, and across an in-place upgrade.

No typed KeycloakRealm setting maps to a field the 26.0 adapter drops or
refuses (those are Admin-API-level, see
tests/integration/keycloak/test_keycloak_version_adapters.py), so what shows
here is the condition: the Keycloak object names the adapter and what it will
not send, and realms reconcile through it without a 400.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from keycloak_controller.keycloak.adapters import Keycloak260Adapter, adapter_for
from keycloak_controller.keycloak.client import KeycloakAdmin
from tests.support.config import canonical_keycloak_version, keycloak_versions
from tests.support.controller_harness import (
    Kube,
    keycloak_object,
    realm_object,
    running_controllers,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint, KeycloakServer
from tests.support.shared import SharedEnvironment

TIMEOUT = 120.0
# A Keycloak start on a busy 2-core machine, plus the database migration.
UPGRADE_TIMEOUT = 300.0


class UpgradedKeycloak(KeycloakServer):
    """The canonical distribution started on an older one's H2 database and ports.

    26.2 changed the dev-file database's default credentials (keycloak#39046);
    an older database still has the old ones, so they are given explicitly.
    """

    def __init__(self, version: str, old: KeycloakServer) -> None:
        super().__init__(version, old.workdir)
        self.http_port, self.management_port = old.http_port, old.management_port
        self.admin_username, self.admin_password = old.admin_username, old.admin_password

    def environment(self) -> dict[str, str]:
        return {**super().environment(), "KC_DB_USERNAME": "sa", "KC_DB_PASSWORD": "password"}


def version_on_26_0_adapter() -> str:
    for version in keycloak_versions():
        if type(adapter_for(version)) is Keycloak260Adapter:
            return version
    pytest.skip("no pinned Keycloak is served by the 26.0 adapter")


def prepare(kube: Kube, ns: str, endpoint: KeycloakEndpoint | KeycloakServer) -> None:
    kube.secret(
        ns, "admin", {"username": endpoint.admin_username, "password": endpoint.admin_password}
    )
    url = endpoint.base_url
    kube.create("keycloaks", ns, keycloak_object("kc", url, "admin"))


def status(kube: Kube, plural: str, ns: str, name: str) -> dict[str, object]:
    return dict((kube.get(plural, ns, name) or {}).get("status") or {})


def test_a_26_0_keycloak_reports_what_its_adapter_drops_and_realms_reconcile(
    crds: ControlPlaneEndpoint,
    shared_environment: SharedEnvironment,
    unique_name: Callable[[str], str],
) -> None:
    version = version_on_26_0_adapter()
    endpoint = shared_environment.keycloak(version)
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ns"))
    realm_name = unique_name("realm")
    prepare(kube, ns, endpoint)
    kube.create(
        "keycloakrealms",
        ns,
        realm_object(
            "realm",
            "kc",
            realm_name,
            tokens={"accessTokenLifespan": 600},
            security={"bruteForceDetection": {"enabled": True, "failureFactor": 5}},
            attributes={"team": "platform"},
            roles=[{"name": "viewer"}],
        ),
    )
    with (
        KeycloakAdmin.with_password(
            endpoint.base_url, endpoint.admin_username, endpoint.admin_password
        ) as admin,
        running_controllers(crds, [ns]),
    ):
        wait_until(lambda: kube.is_ready("keycloaks", ns, "kc"), TIMEOUT, "Keycloak Ready")
        assert status(kube, "keycloaks", ns, "kc")["serverVersion"] == version
        warnings = kube.condition("keycloaks", ns, "kc", "AdapterWarnings")
        assert warnings["status"] == "True" and warnings["reason"] == "FieldsNotSupported"
        assert "Keycloak260Adapter" in warnings["message"]
        assert "adminPermissionsEnabled" in warnings["message"]
        assert "GroupRepresentation: description not sent" in warnings["message"]

        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "realm Ready")
        assert status(kube, "keycloakrealms", ns, "realm")["keycloakVersion"] == version
        got = admin.realms.get(realm_name)
        assert got.access_token_lifespan == 600 and got.failure_factor == 5
        assert (got.attributes or {}).get("team") == "platform"
        assert admin.roles.get(realm_name, "viewer").name == "viewer"


def test_an_in_place_upgrade_moves_the_connection_to_the_new_adapter(
    crds: ControlPlaneEndpoint,
    private_keycloak: Callable[..., KeycloakServer],
    unique_name: Callable[[str], str],
) -> None:
    """26.0 -> canonical on the same database, while the controller keeps its connection."""
    old_version, new_version = version_on_26_0_adapter(), canonical_keycloak_version()
    old = private_keycloak(old_version)
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ns"))
    realm_name = unique_name("realm")
    prepare(kube, ns, old)
    kube.create("keycloakrealms", ns, realm_object("realm", "kc", realm_name))
    # Same ports, database and admin; only the distribution changes.
    new = UpgradedKeycloak(new_version, old)
    try:
        with running_controllers(crds, [ns], resync_period=5.0, backoff_cap=3.0):
            wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "Ready")
            assert status(kube, "keycloakrealms", ns, "realm")["keycloakVersion"] == old_version
            assert kube.condition("keycloaks", ns, "kc", "AdapterWarnings")["status"] == "True"

            old.stop()
            new.start()
            wait_until(
                lambda: status(kube, "keycloaks", ns, "kc").get("serverVersion") == new_version,
                UPGRADE_TIMEOUT,
                "the Keycloak object to see the upgrade",
            )
            warnings = kube.condition("keycloaks", ns, "kc", "AdapterWarnings")
            assert (warnings["status"], warnings["reason"]) == ("False", "CanonicalVersion")
            # The realm's reconciles use the same connection: its version (and adapter) moved.
            kube.patch("keycloakrealms", ns, "realm", {"spec": {"displayName": "Upgraded"}})
            wait_until(
                lambda: (
                    status(kube, "keycloakrealms", ns, "realm").get("keycloakVersion")
                    == new_version
                    and kube.is_ready("keycloakrealms", ns, "realm")
                ),
                TIMEOUT,
                "the realm reconciled on the upgraded server",
            )
        with KeycloakAdmin.with_password(
            new.base_url, new.admin_username, new.admin_password
        ) as admin:
            assert admin.realms.get(realm_name).display_name == "Upgraded"
    finally:
        new.stop()
