"""A realm's client profiles and policies.

Behaviour: a profile with the pkce-enforcer executor, applied to every client by a
policy, makes Keycloak refuse an authorization request without a PKCE code
challenge (and accept one with it); disabling the policy lifts the refusal; Observe
names a differing profile and writes nothing.
Lifecycle on every version: listed entries created and kept equal (drift
reverted), the second pass writes nothing, unlisted entries kept (additive) until
`authoritative: true` removes them, a policy naming an unknown profile is refused
by field, and `mode: STRICT` is refused before 26.7 (IncompatibleVersion)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import (
    ClientPoliciesRepresentation,
    ClientPolicyConditionRepresentation,
    ClientPolicyRepresentation,
    ClientProfileRepresentation,
    ClientProfilesRepresentation,
    ClientRepresentation,
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
REDIRECT = "http://localhost:8123/callback"
PKCE_PROFILE: dict[str, Any] = {
    "name": "pkce-required",
    "description": "PKCE for every client",
    "executors": [{"executor": "pkce-enforcer", "configuration": {"auto-configure": False}}],
}


def pkce_policy(enabled: bool = True) -> dict[str, Any]:
    return {
        "name": "pkce-everywhere",
        "enabled": enabled,
        "conditions": [{"condition": "any-client", "configuration": {}}],
        "profiles": ["pkce-required"],
    }


def authorize(endpoint: KeycloakEndpoint, realm: str, *, pkce: bool) -> requests.Response:
    """An authorization-code request for the public client `app`, with or without a
    PKCE code challenge; redirects are not followed."""
    params = {
        "client_id": "app",
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "s",
    }
    if pkce:
        verifier = "v" * 64
        digest = hashlib.sha256(verifier.encode()).digest()
        params["code_challenge"] = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        params["code_challenge_method"] = "S256"
    return requests.get(
        f"{endpoint.base_url}/realms/{realm}/protocol/openid-connect/auth",
        params=params,
        allow_redirects=False,
        timeout=30,
    )


def refused_for_pkce(response: requests.Response) -> bool:
    """Keycloak sends the client back with error=invalid_request (PKCE missing)."""
    if response.status_code not in (302, 303):
        return False
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return query.get("error") == ["invalid_request"]


def login_page(response: requests.Response) -> bool:
    return response.status_code == 200 and "kc-form-login" in response.text


def test_a_pkce_policy_refuses_a_client_without_pkce(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("pkce"))
    with running_controllers(crds, [ns], resync_period=3.0) as manager:
        realm = ready_realm(ns, timeout=TIMEOUT).realm_name
        # A public client that does not use PKCE (nothing in its settings asks for it).
        direct_admin.clients.create(
            realm,
            ClientRepresentation(
                client_id="app",
                public_client=True,
                standard_flow_enabled=True,
                redirect_uris=[REDIRECT],
            ),
        )
        assert login_page(authorize(keycloak, realm, pkce=False)), "no policy yet: allowed"

        policies = {"profiles": [PKCE_PROFILE], "policies": [pkce_policy()]}
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"clientPolicies": policies}})
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "policies")
        # The request without a code challenge is refused; with one it is served.
        refused = authorize(keycloak, realm, pkce=False)
        assert refused_for_pkce(refused), (refused.status_code, refused.headers)
        assert login_page(authorize(keycloak, realm, pkce=True))

        # Observe names the difference and writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        lenient = {**PKCE_PROFILE, "description": "something else"}
        observer = realm_object(
            "watcher",
            "kc",
            realm,
            managementPolicy="Observe",
            clientPolicies={"profiles": [lenient]},
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
        assert "clientPolicies.profiles[pkce-required]" in message
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes
        assert own_profiles(direct_admin, realm)["pkce-required"].description == (
            "PKCE for every client"
        )
        kube.delete("keycloakrealms", ns, "watcher")

        # The policy is what refuses: disabled, the same request is served again.
        policies["policies"] = [pkce_policy(enabled=False)]
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"clientPolicies": policies}})
        wait_until(
            lambda: login_page(authorize(keycloak, realm, pkce=False)),
            TIMEOUT,
            "the disabled policy no longer refuses",
        )


def own_profiles(admin: KeycloakAdmin, realm: str) -> dict[str, ClientProfileRepresentation]:
    return {p.name or "": p for p in admin.realms.client_profiles(realm).profiles or []}


def own_policies(admin: KeycloakAdmin, realm: str) -> dict[str, ClientPolicyRepresentation]:
    return {p.name or "": p for p in admin.realms.client_policies(realm).policies or []}


def test_client_policies_lifecycle_on_every_version(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    make_admin: Callable[[KeycloakEndpoint], KeycloakAdmin],
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    endpoint = keycloak_any_version
    admin = make_admin(endpoint)
    kube = Kube(crds)
    ns = kube.namespace(unique_name("policies"))
    confidential = {
        "name": "confidential-only",
        "description": "confidential clients get secure redirects",
        "conditions": [
            {"condition": "client-access-type", "configuration": {"type": ["confidential"]}}
        ],
        # A global, built-in profile next to the realm's own.
        "profiles": ["pkce-required", "fapi-1-baseline"],
    }
    policies: dict[str, Any] = {"profiles": [PKCE_PROFILE], "policies": [confidential]}
    with running_controllers(crds, [ns], resync_period=3.0) as manager:
        realm = ready_realm(
            ns, endpoint=endpoint, clientPolicies=policies, timeout=TIMEOUT
        ).realm_name
        profile = own_profiles(admin, realm)["pkce-required"]
        assert profile.description == "PKCE for every client"
        executors = profile.executors or []
        assert [e.executor for e in executors] == ["pkce-enforcer"]
        assert (executors[0].configuration or {}).get("auto-configure") is False
        policy = own_policies(admin, realm)["confidential-only"]
        assert policy.enabled is True
        assert policy.profiles == ["pkce-required", "fapi-1-baseline"]
        conditions = policy.conditions or []
        assert [c.condition for c in conditions] == ["client-access-type"]
        assert (conditions[0].configuration or {}).get("type") == ["confidential"]

        # The second pass of an in-sync realm writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        kube.patch("keycloakrealms", ns, "realm", {"metadata": {"annotations": {"poke": "1"}}})
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes

        # Drift behind the controller's back is reverted: the executor's setting and
        # the policy; an entry made by hand stays (additive).
        hand_profile = ClientProfileRepresentation(name="by-hand", description="", executors=[])
        drifted = profile.model_copy(deep=True)
        drifted.executors = [
            e.model_copy(update={"configuration": {"auto-configure": True}}) for e in executors
        ]
        admin.realms.update_client_profiles(
            realm, ClientProfilesRepresentation(profiles=[drifted, hand_profile])
        )
        hand_policy = ClientPolicyRepresentation(
            name="by-hand",
            enabled=False,
            conditions=[
                ClientPolicyConditionRepresentation(condition="any-client", configuration={})
            ],
            profiles=["by-hand"],
        )
        admin.realms.update_client_policies(
            realm, ClientPoliciesRepresentation(policies=[hand_policy])
        )

        def reverted() -> bool:
            profiles, found = own_profiles(admin, realm), own_policies(admin, realm)
            pkce = profiles.get("pkce-required")
            config = (pkce.executors or [None])[0] if pkce else None
            return (
                config is not None
                and (config.configuration or {}).get("auto-configure") is False
                and "confidential-only" in found
                and "by-hand" in found
                and "by-hand" in profiles
            )

        wait_until(reverted, TIMEOUT, "the drift reverted, the hand-made entries kept")

        # Authoritative: the entries not listed are removed; global ones stay global.
        policies["authoritative"] = True
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"clientPolicies": policies}})
        wait_until(
            lambda: (
                "by-hand" not in own_policies(admin, realm)
                and "by-hand" not in own_profiles(admin, realm)
            ),
            TIMEOUT,
            "unlisted entries removed",
        )
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "ready")
        assert set(own_policies(admin, realm)) == {"confidential-only"}
        everything = admin.realms.client_profiles(realm, include_global=True)
        assert "fapi-1-baseline" in {p.name for p in everything.global_profiles or []}

        def message_has(text: str) -> Callable[[], bool]:
            def check() -> bool:
                cond = kube.condition("keycloakrealms", ns, "realm") or {}
                return text in (cond.get("message") or "")

            return check

        # A policy naming a profile that exists nowhere is refused by field.
        unknown = {**confidential, "profiles": ["no-such-profile"]}
        kube.patch(
            "keycloakrealms", ns, "realm", {"spec": {"clientPolicies": {"policies": [unknown]}}}
        )
        wait_until(
            message_has("spec.clientPolicies.policies[confidential-only]"), TIMEOUT, "refused"
        )
        assert kube.reason("keycloakrealms", ns, "realm") == "InvalidSpec"
        assert own_policies(admin, realm)["confidential-only"].profiles == [
            "pkce-required",
            "fapi-1-baseline",
        ]

        # STRICT mode exists from 26.7; older servers refuse it by version.
        strict = {**confidential, "mode": "STRICT"}
        kube.patch(
            "keycloakrealms", ns, "realm", {"spec": {"clientPolicies": {"policies": [strict]}}}
        )
        if admin.adapter.older_than("26.7"):
            wait_until(message_has("STRICT"), TIMEOUT, "STRICT refused")
            assert kube.reason("keycloakrealms", ns, "realm") == "IncompatibleVersion"
        else:
            wait_until(
                lambda: own_policies(admin, realm)["confidential-only"].mode == "STRICT",
                TIMEOUT,
                "STRICT applied",
            )
