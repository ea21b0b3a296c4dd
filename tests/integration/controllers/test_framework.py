"""What the reconcile skeleton promises every kind, on the real Keycloak and apiserver:
Observe never writes, a parent's rejected setting does not spread to its children,
ids are in status as soon as an object is Ready, PUTs build on fresh reads, and
corrected drift is named in an Event."""

from __future__ import annotations

from collections.abc import Callable

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import ClientRepresentation
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    client_object,
    keycloak_requests,
    running_controllers,
    wait_idle,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint

TIMEOUT = 90.0


def test_observe_reads_and_never_writes(
    crds: ControlPlaneEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("observe"))
    with running_controllers(crds, [ns]) as manager:
        realm = ready_realm(ns).realm_name
        direct_admin.clients.create(
            realm,
            ClientRepresentation(
                client_id="legacy", public_client=True, redirect_uris=["https://old/cb"]
            ),
        )
        wait_idle(manager, TIMEOUT)
        writes_before = keycloak_requests(f"{ns}/kc", writes_only=True)
        kube.create(
            "keycloakclients",
            ns,
            client_object(
                "legacy",
                "realm",
                "legacy",
                accessType="Public",
                redirectUris=["https://new/cb"],
                managementPolicy="Observe",
            ),
        )
        wait_until(
            lambda: (
                (kube.condition("keycloakclients", ns, "legacy", "InSync") or {}).get("status")
                == "False"
            ),
            TIMEOUT,
            "the drift in InSync",
        )
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "legacy"), TIMEOUT, "observed")
        assert kube.reason("keycloakclients", ns, "legacy") == "Observed"
        in_sync = kube.condition("keycloakclients", ns, "legacy", "InSync")
        assert "redirectUris" in in_sync["message"] and "https://" not in in_sync["message"]
        wait_idle(manager, TIMEOUT)
        # Not one write: not the ownership attributes, not the redirect URIs.
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes_before
        legacy = direct_admin.clients.find(realm, "legacy")
        assert legacy is not None and legacy.redirect_uris == ["https://old/cb"]
        assert "keycloak-controller.dev/managed-by" not in (legacy.attributes or {})

        # Deleting an observed resource leaves the client in Keycloak.
        kube.delete("keycloakclients", ns, "legacy")
        wait_until(lambda: kube.get("keycloakclients", ns, "legacy") is None, TIMEOUT, "gone")
        assert direct_admin.clients.find(realm, "legacy") is not None
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes_before


def test_a_rejected_realm_setting_leaves_its_clients_ready(
    crds: ControlPlaneEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("blast"))
    with running_controllers(crds, [ns]):
        ready_realm(ns)
        kube.create("keycloakclients", ns, client_object("app", "realm", "app"))
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "app"), TIMEOUT, "client Ready")
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"passwordPolicy": "noSuchPolicy(3)"}})
        wait_until(
            lambda: kube.reason("keycloakrealms", ns, "realm") == "KeycloakRejected",
            TIMEOUT,
            "the realm's own error",
        )
        # The realm's failure requeued its clients; a spec change forces one more pass.
        kube.patch("keycloakclients", ns, "app", {"spec": {"description": "still fine"}})
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "app"), TIMEOUT, "client Ready")
        assert kube.reason("keycloakrealms", ns, "realm") == "KeycloakRejected"


def test_realm_id_is_in_status_at_once_and_follows_a_recreated_realm(
    crds: ControlPlaneEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("realmid"))
    with running_controllers(crds, [ns], resync_period=2.0):
        realm = ready_realm(ns).realm_name
        first = direct_admin.realms.get(realm).id
        assert (kube.get("keycloakrealms", ns, "realm") or {})["status"]["realmId"] == first
        direct_admin.realms.delete(realm)
        wait_until(
            lambda: (
                (kube.get("keycloakrealms", ns, "realm") or {})["status"].get("realmId")
                not in (None, first)
            ),
            TIMEOUT,
            "the new realm's id",
        )
        second = direct_admin.realms.get(realm).id
        assert (kube.get("keycloakrealms", ns, "realm") or {})["status"]["realmId"] == second


def test_a_put_keeps_what_was_edited_in_keycloak_and_drift_is_named(
    crds: ControlPlaneEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("fresh"))
    with running_controllers(crds, [ns]) as manager:
        realm = ready_realm(ns).realm_name
        spec = {"redirectUris": ["https://a/cb"]}
        kube.create("keycloakclients", ns, client_object("app", "realm", "app", **spec))
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "app"), TIMEOUT, "client Ready")
        wait_idle(manager, TIMEOUT)
        # Someone edits a field the spec does not set, and the spec changes right after,
        # while the controller's cached copy of the client predates the edit.
        client = direct_admin.clients.find(realm, "app")
        assert client is not None and client.id
        edited = client.model_copy(update={"description": "edited in Keycloak"})
        direct_admin.clients.update(realm, client.id, edited)
        kube.patch("keycloakclients", ns, "app", {"spec": {"redirectUris": ["https://b/cb"]}})
        wait_until(
            lambda: (
                (direct_admin.clients.get(realm, client.id or "").redirect_uris or [])
                == ["https://b/cb"]
            ),
            TIMEOUT,
            "the spec change in Keycloak",
        )
        assert direct_admin.clients.get(realm, client.id).description == "edited in Keycloak"

        # Drift on an in-sync client is corrected and named in an Event.
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "app"), TIMEOUT, "client Ready")
        current = direct_admin.clients.get(realm, client.id)
        direct_admin.clients.update(
            realm, client.id, current.model_copy(update={"redirect_uris": ["https://evil/cb"]})
        )
        kube.patch("keycloakclients", ns, "app", {"metadata": {"annotations": {"poke": "1"}}})

        def drift_event() -> str:
            events = kube.core.list_namespaced_event(ns).items
            return next((e.message for e in events if e.reason == "DriftCorrected"), "")

        wait_until(lambda: "redirectUris" in drift_event(), TIMEOUT, "the DriftCorrected Event")
        assert "evil" not in drift_event()
        assert direct_admin.clients.get(realm, client.id).redirect_uris == ["https://b/cb"]
