"""A realm's required actions on every Keycloak version: listed fields kept equal, an
unregistered installed provider registered, unlisted actions left alone (additive), the
second pass writes nothing, drift reverted, Observe names the difference and writes
nothing, an unknown provider and (on 24) a config are refused by field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import (
    RequiredActionProviderRepresentation,
    UserRepresentation,
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
TERMS = "TERMS_AND_CONDITIONS"


def action(admin: KeycloakAdmin, realm: str, alias: str) -> RequiredActionProviderRepresentation:
    found = {a.alias: a for a in admin.authentication.required_actions(realm)}
    return found[alias]


def registered(admin: KeycloakAdmin, realm: str, alias: str) -> bool:
    return any(a.alias == alias for a in admin.authentication.required_actions(realm))


def test_required_actions_lifecycle_on_every_version(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    endpoint = keycloak_any_version
    kube = Kube(crds)
    ns = kube.namespace(unique_name("actions"))
    with (
        KeycloakAdmin.with_password(
            endpoint.base_url, endpoint.admin_username, endpoint.admin_password
        ) as admin,
        running_controllers(crds, [ns], resync_period=3.0) as manager,
    ):
        configurable = not admin.adapter.older_than("25.0")
        actions: list[dict[str, Any]] = [
            {"alias": TERMS, "enabled": True, "defaultAction": True, "priority": 5},
            {"alias": "delete_account", "enabled": True},
        ]
        if configurable:
            actions.append({"alias": "UPDATE_PASSWORD", "config": {"max_auth_age": "600"}})
        realm = ready_realm(
            ns, endpoint=endpoint, requiredActions=actions, timeout=TIMEOUT
        ).realm_name
        terms = action(admin, realm, TERMS)
        assert terms.enabled and terms.default_action and terms.priority == 5
        assert action(admin, realm, "delete_account").enabled
        if configurable:
            config = admin.authentication.required_action_config(realm, "UPDATE_PASSWORD")
            assert (config.config or {}).get("max_auth_age") == "600"
        # Behaviour: Keycloak gives a default action to every user created from now on.
        newbie = admin.users.create(realm, UserRepresentation(username="newbie", enabled=True))
        assert TERMS in (admin.users.get(realm, newbie).required_actions or [])

        # The second pass of an in-sync realm writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        kube.patch("keycloakrealms", ns, "realm", {"metadata": {"annotations": {"poke": "1"}}})
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes

        # Drift: a disabled action is enabled again; an unregistered one is registered
        # again (from the installed providers).
        terms.enabled = False
        terms.default_action = False
        admin.authentication.update_required_action(realm, TERMS, terms)
        admin.authentication.delete_required_action(realm, "delete_account")
        wait_until(
            lambda: (
                action(admin, realm, TERMS).enabled is True
                and registered(admin, realm, "delete_account")
                and action(admin, realm, "delete_account").enabled is True
            ),
            TIMEOUT,
            "the drift reverted",
        )

        # Additive: an action no longer listed is left as it is; a change applies.
        kube.patch(
            "keycloakrealms",
            ns,
            "realm",
            {"spec": {"requiredActions": [{"alias": "delete_account", "priority": 77}]}},
        )
        wait_until(
            lambda: action(admin, realm, "delete_account").priority == 77, TIMEOUT, "changed"
        )
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "ready")
        terms = action(admin, realm, TERMS)
        assert terms.enabled and terms.default_action and terms.priority == 5

        # Observe names the difference and writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        observer = realm_object(
            "watcher",
            "kc",
            realm,
            managementPolicy="Observe",
            requiredActions=[{"alias": TERMS, "priority": 99}],
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
        assert f"requiredActions[{TERMS}]" in message
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes
        assert action(admin, realm, TERMS).priority == 5
        kube.delete("keycloakrealms", ns, "watcher")

        def message_has(text: str) -> Callable[[], bool]:
            def check() -> bool:
                cond = kube.condition("keycloakrealms", ns, "realm") or {}
                return text in (cond.get("message") or "")

            return check

        # An unknown provider is refused by field.
        kube.patch(
            "keycloakrealms",
            ns,
            "realm",
            {"spec": {"requiredActions": [{"alias": "no-such-action", "enabled": True}]}},
        )
        wait_until(message_has("spec.requiredActions[no-such-action]"), TIMEOUT, "unknown refused")
        assert kube.reason("keycloakrealms", ns, "realm") == "InvalidSpec"
        if not configurable:
            # Keycloak 24 has no required-action config: refused as IncompatibleVersion.
            kube.patch(
                "keycloakrealms",
                ns,
                "realm",
                {
                    "spec": {
                        "requiredActions": [
                            {"alias": "UPDATE_PASSWORD", "config": {"max_auth_age": "600"}}
                        ]
                    }
                },
            )
            wait_until(
                message_has("required-action configuration is not available"),
                TIMEOUT,
                "config refused on 24",
            )
            assert kube.reason("keycloakrealms", ns, "realm") == "IncompatibleVersion"
