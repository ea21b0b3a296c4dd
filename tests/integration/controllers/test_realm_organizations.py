"""A realm's organizations on every Keycloak version: on 25 (preview) and 26 they are
created with domains and attributes, the second pass writes nothing, drift is reverted,
an owned one no longer listed is deleted while one made elsewhere stays, Observe names
the difference and writes nothing; on 24 the realm reports IncompatibleVersion for
organizations while its other sections still apply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from keycloak_controller.controllers.realm_organizations import ORG_OWNER
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.errors import NotFound
from keycloak_controller.keycloak.models import (
    OrganizationDomainRepresentation,
    OrganizationRepresentation,
)
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    keycloak_requests,
    realm_object,
    running_controllers,
    wait_idle,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint

TIMEOUT = 90.0


def acme(**extra: Any) -> dict[str, Any]:
    return {
        "name": "acme",
        "description": "ACME Corp",
        "domains": [{"name": "acme.example", "verified": True}],
        "attributes": {"tier": ["gold"]},
        **extra,
    }


def org(admin: KeycloakAdmin, realm: str, name: str) -> OrganizationRepresentation | None:
    found = next((o for o in admin.organizations.iter_all(realm) if o.name == name), None)
    # A full read: 26.0's list leaves the attributes out.
    if found is None or not found.id:
        return None
    try:
        return admin.organizations.get(realm, found.id)
    except NotFound:
        return None  # deleted between the list and the read


def test_organizations_lifecycle_on_every_version(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    endpoint = keycloak_any_version
    kube = Kube(crds)
    ns = kube.namespace(unique_name("orgs"))
    with (
        KeycloakAdmin.with_password(
            endpoint.base_url, endpoint.admin_username, endpoint.admin_password
        ) as admin,
        running_controllers(crds, [ns], resync_period=3.0) as manager,
    ):
        realm = ready_realm(ns, endpoint=endpoint, timeout=TIMEOUT).realm_name
        beta = {"name": "beta", "domains": [{"name": "beta.example"}]}
        spec = {
            "organizationsEnabled": True,
            "organizations": [acme(), beta],
            "clientScopes": [{"name": "still-applied"}],
        }
        kube.patch("keycloakrealms", ns, "realm", {"spec": spec})
        if not admin.adapter.supports_organizations:
            wait_until(
                lambda: kube.reason("keycloakrealms", ns, "realm") == "IncompatibleVersion",
                TIMEOUT,
                "organizations refused on 24",
            )
            message = kube.condition("keycloakrealms", ns, "realm")["message"]
            assert "organizations are not available in Keycloak 24" in message
            # The realm's other sections still applied.
            assert admin.client_scopes.find(realm, "still-applied") is not None
            # Asking for none (flag off, empty list) is not refused: Ready again.
            off = {"spec": {"organizationsEnabled": False, "organizations": []}}
            kube.patch("keycloakrealms", ns, "realm", off)
            wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "Ready")
            return

        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "orgs")
        assert admin.realms.get(realm).organizations_enabled is True
        found = org(admin, realm, "acme")
        assert found is not None and found.description == "ACME Corp"
        assert [(d.name, d.verified) for d in found.domains or []] == [("acme.example", True)]
        attrs = found.attributes or {}
        assert attrs.get("tier") == ["gold"] and attrs.get(ORG_OWNER) == [
            f"KeycloakRealm/{ns}/realm"
        ]
        assert org(admin, realm, "beta") is not None
        admin.organizations.create(
            realm,
            OrganizationRepresentation(
                name="handmade",
                alias="handmade" if not admin.adapter.organizations_preview else None,
                domains=[OrganizationDomainRepresentation(name="hand.example")],
            ),
        )

        # The second pass of an in-sync realm writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        kube.patch("keycloakrealms", ns, "realm", {"metadata": {"annotations": {"poke": "1"}}})
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes

        # Drift: description and domains changed behind the controller's back.
        drifted = found.model_copy(deep=True)
        drifted.members = None
        drifted.identity_providers = None
        drifted.description = "changed"
        drifted.domains = [OrganizationDomainRepresentation(name="other.example")]
        admin.organizations.update(realm, found.id or "", drifted)

        def reverted() -> bool:
            now = org(admin, realm, "acme")
            return (
                now is not None
                and now.description == "ACME Corp"
                and [d.name for d in now.domains or []] == ["acme.example"]
            )

        wait_until(reverted, TIMEOUT, "the drift reverted")

        # Owned-only: beta (owned) goes, handmade stays.
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"organizations": [acme()]}})
        wait_until(lambda: org(admin, realm, "beta") is None, TIMEOUT, "beta deleted")
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "ready")
        assert org(admin, realm, "handmade") is not None

        # Observe names the difference and writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        observer = realm_object(
            "watcher",
            "kc",
            realm,
            managementPolicy="Observe",
            organizations=[acme(description="Another")],
        )
        kube.create("keycloakrealms", ns, observer)
        wait_until(
            lambda: (
                (kube.condition("keycloakrealms", ns, "watcher", "InSync") or {}).get("status")
                == "False"
            ),
            TIMEOUT,
            "Observe reports the drift",
        )
        message = kube.condition("keycloakrealms", ns, "watcher", "InSync")["message"]
        assert "organizations[acme]" in message
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes
        now = org(admin, realm, "acme")
        assert now is not None and now.description == "ACME Corp"
