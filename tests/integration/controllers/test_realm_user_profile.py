"""spec.userProfile on every Keycloak version: the declared attribute's validators
refuse a bad value through the Admin API (a 400), a second pass writes nothing,
drift is reverted, unlisted attributes stay until authoritative: true removes them
(never the built-ins), and Observe reports the difference without writing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import UPAttribute, UserRepresentation
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

EMPLOYEE_NUMBER: dict[str, Any] = {
    "name": "employeeNumber",
    "displayName": "Employee number",
    "validations": {"length": {"min": 1, "max": 6}, "pattern": {"pattern": "^[0-9]+$"}},
    "annotations": {"inputType": "text"},
    "permissions": {"view": ["admin", "user"], "edit": ["admin"]},
    "group": "hr",
}
PROFILE: dict[str, Any] = {
    "unmanagedAttributePolicy": "ADMIN_EDIT",
    "groups": [{"name": "hr", "displayHeader": "HR data"}],
    "attributes": [EMPLOYEE_NUMBER],
}


def attributes(admin: KeycloakAdmin, realm: str) -> dict[str, UPAttribute]:
    return {a.name or "": a for a in admin.user_profile.get(realm).attributes or []}


def test_user_profile_on_every_version(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    endpoint = keycloak_any_version
    kube = Kube(crds)
    ns = kube.namespace(unique_name("profile"))
    with (
        KeycloakAdmin.with_password(
            endpoint.base_url, endpoint.admin_username, endpoint.admin_password
        ) as admin,
        running_controllers(crds, [ns]) as manager,
    ):
        realm = ready_realm(ns, endpoint=endpoint, timeout=TIMEOUT, userProfile=PROFILE).realm_name
        profile = admin.user_profile.get(realm)
        assert profile.unmanaged_attribute_policy == "ADMIN_EDIT"
        assert "hr" in {g.name for g in profile.groups or []}
        declared = attributes(admin, realm)
        assert {"username", "email", "firstName", "lastName", "employeeNumber"} <= set(declared)
        assert declared["employeeNumber"].group == "hr"
        assert set(declared["employeeNumber"].validations or {}) == {"length", "pattern"}

        # Behavioural proof: the validators refuse bad values through the Admin API.
        user = UserRepresentation(
            username="carol",
            email="carol@example.com",
            first_name="Carol",
            last_name="Example",
            enabled=True,
        )
        carol = admin.users.create(realm, user)
        for bad in ("12ab", "1234567"):
            with pytest.raises(kc_errors.BadRequest):
                admin.users.update(
                    realm, carol, user.model_copy(update={"attributes": {"employeeNumber": [bad]}})
                )
        admin.users.update(
            realm, carol, user.model_copy(update={"attributes": {"employeeNumber": ["123456"]}})
        )
        assert (admin.users.get(realm, carol).attributes or {})["employeeNumber"] == ["123456"]

        # A second pass of an in-sync profile writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        kube.patch("keycloakrealms", ns, "realm", {"metadata": {"annotations": {"poke": "1"}}})
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes

        # Drift: the validators dropped and an attribute added behind the controller's
        # back; the validators come back, the other attribute stays (not authoritative).
        drifted = admin.user_profile.get(realm)
        for attribute in drifted.attributes or []:
            if attribute.name == "employeeNumber":
                attribute.validations = {}
        drifted.attributes = [*(drifted.attributes or []), UPAttribute(name="legacy")]
        admin.user_profile.update(realm, drifted)
        kube.patch("keycloakrealms", ns, "realm", {"metadata": {"annotations": {"poke": "2"}}})
        wait_until(
            lambda: bool(attributes(admin, realm)["employeeNumber"].validations),
            TIMEOUT,
            "the validators back",
        )
        assert "legacy" in attributes(admin, realm)

        # authoritative: true removes what is not listed, never the built-ins.
        kube.patch(
            "keycloakrealms",
            ns,
            "realm",
            {"spec": {"userProfile": {**PROFILE, "authoritative": True}}},
        )
        wait_until(lambda: "legacy" not in attributes(admin, realm), TIMEOUT, "legacy removed")
        assert {"username", "email", "firstName", "lastName", "employeeNumber"} <= set(
            attributes(admin, realm)
        )
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "Ready")

        # Observe: a second KeycloakRealm on the same realm reports, writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        other = {**EMPLOYEE_NUMBER, "displayName": "Staff number"}
        observer = realm_object(
            "observer",
            "kc",
            realm,
            managementPolicy="Observe",
            deletionPolicy="Retain",
            userProfile={"attributes": [other]},
        )
        kube.create("keycloakrealms", ns, observer)
        wait_until(
            lambda: (
                (kube.condition("keycloakrealms", ns, "observer", "InSync") or {}).get("status")
                == "False"
            ),
            TIMEOUT,
            "the drift in InSync",
        )
        message = (kube.condition("keycloakrealms", ns, "observer", "InSync") or {})["message"]
        assert "userProfile.attributes[employeeNumber]" in message
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes
        assert attributes(admin, realm)["employeeNumber"].display_name == "Employee number"
