"""A realm's authentication flows and flow bindings.

Behaviour (canonical version): a copy of "direct grant" with a conditional deny,
bound as the realm's direct grant flow, refuses a token to a user without a role
and still gives one to a user with it; a browser flow bound to the realm changes
the real login page. Lifecycle on every version: a flow built from executions
and one copied, drift (requirement, deleted, added and moved executions, the
binding) corrected, reordering, authenticator config, removal of an owned flow
(refused while bound, done once unbound), built-ins never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from kubernetes import client as k8s

from keycloak_controller.controllers.realm_flow_executions import actual_tree, walk
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import (
    AuthenticationFlowRepresentation,
    ClientRepresentation,
    RealmRepresentation,
)
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    client_object,
    keycloak_requests,
    log_in,
    realm_object,
    running_controllers,
    user_object,
    wait_idle,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint

TIMEOUT = 90.0
MARKER = "[keycloak-controller.dev/owner="


def flows(admin: KeycloakAdmin, realm: str) -> dict[str, AuthenticationFlowRepresentation]:
    return {f.alias or "": f for f in admin.authentication.flows(realm)}


def shape(admin: KeycloakAdmin, realm: str, alias: str) -> list[tuple[int, str, str]]:
    """(level, authenticator or subflow alias, requirement) of every execution, in order."""
    out = []
    for info in admin.authentication.executions(realm, alias):
        name = info.display_name if info.authentication_flow else info.provider_id
        out.append((info.level or 0, name or "", info.requirement or ""))
    return out


def binding(admin: KeycloakAdmin, realm: str, field: str) -> Any:
    return getattr(admin.realms.get(realm), field)


def step(authenticator: str, requirement: str, **extra: Any) -> dict[str, Any]:
    return {"authenticator": authenticator, "requirement": requirement, **extra}


def subflow(alias: str, requirement: str, executions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"subflow": {"alias": alias, "requirement": requirement, "executions": executions}}


def message_of(kube: Kube, ns: str) -> str:
    return str((kube.condition("keycloakrealms", ns, "realm") or {}).get("message") or "")


# --- admission ----------------------------------------------------------------------


def test_admission_refuses_flows_that_cannot_work(
    crds: ControlPlaneEndpoint, unique_name: Callable[[str], str]
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("flowcel"))
    refused = {
        "set copyOf (start from a copy), executions": {"authenticationFlows": [{"alias": "a"}]},
        "set exactly one of authenticator or subflow": {
            "authenticationFlows": [{"alias": "a", "executions": [{"requirement": "REQUIRED"}]}]
        },
        "an authenticator needs a requirement": {
            "authenticationFlows": [{"alias": "a", "executions": [{"authenticator": "x"}]}]
        },
        "Duplicate value": {
            "authenticationFlows": [
                {"alias": "a", "copyOf": "browser"},
                {"alias": "a", "copyOf": "browser"},
            ]
        },
        "flowBindings.browser": {"flowBindings": {"browser": ""}},
    }
    for what, spec in refused.items():
        body = realm_object(unique_name("r"), "kc", "r", **spec)
        with pytest.raises(k8s.ApiException) as error:
            kube.create("keycloakrealms", ns, body)
        assert error.value.status == 422, what
        assert what in str(error.value.body), error.value.body


# --- behaviour ----------------------------------------------------------------------


def test_custom_direct_grant_flow_denies_a_user_without_the_role(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
    direct_admin: KeycloakAdmin,
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("flows"))
    with running_controllers(crds, [ns], resync_period=3.0):
        realm = ready_realm(ns, roles=[{"name": "trusted"}], timeout=TIMEOUT).realm_name
        kube.create(
            "keycloakclients",
            ns,
            client_object(
                "login", "realm", "login", accessType="Public", flows={"directAccessGrants": True}
            ),
        )
        kube.secret(ns, "passwords", {"password": "Flow-Secret-1"})
        password = {"secretRef": {"name": "passwords", "key": "password"}}
        for name, roles in (("alice", ["trusted"]), ("bob", [])):
            kube.create(
                "keycloakusers",
                ns,
                user_object(
                    name,
                    "realm",
                    name,
                    email=f"{name}@example.com",
                    firstName=name.title(),
                    lastName="Example",
                    emailVerified=True,
                    password=password,
                    realmRoles=roles,
                ),
            )
        for name in ("alice", "bob", "login"):
            plural = "keycloakclients" if name == "login" else "keycloakusers"
            wait_until(lambda n=name, p=plural: kube.is_ready(p, ns, n), TIMEOUT, f"{name} Ready")
        # The default direct grant flow lets both in.
        assert log_in(keycloak, realm, "bob", "Flow-Secret-1") is not None

        guarded = "guarded grant"
        kube.patch(
            "keycloakrealms",
            ns,
            "realm",
            {
                "spec": {
                    "authenticationFlows": [
                        {
                            "alias": guarded,
                            "copyOf": "direct grant",
                            "description": "Only trusted users get tokens",
                            "executions": [
                                step("direct-grant-validate-username", "REQUIRED"),
                                step("direct-grant-validate-password", "REQUIRED"),
                                subflow(
                                    "guarded grant untrusted",
                                    "CONDITIONAL",
                                    [
                                        step(
                                            "conditional-user-role",
                                            "REQUIRED",
                                            config={
                                                "alias": "not trusted",
                                                "config": {
                                                    "condUserRole": "trusted",
                                                    "negate": "true",
                                                },
                                            },
                                        ),
                                        step("deny-access-authenticator", "REQUIRED"),
                                    ],
                                ),
                            ],
                        }
                    ],
                    "flowBindings": {"directGrant": guarded},
                }
            },
        )
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "realm Ready")
        assert binding(direct_admin, realm, "direct_grant_flow") == guarded
        # The copy's OTP subflow is gone: the listed executions are authoritative.
        assert shape(direct_admin, realm, guarded) == [
            (0, "direct-grant-validate-username", "REQUIRED"),
            (0, "direct-grant-validate-password", "REQUIRED"),
            (0, "guarded grant untrusted", "CONDITIONAL"),
            (1, "conditional-user-role", "REQUIRED"),
            (1, "deny-access-authenticator", "REQUIRED"),
        ]
        assert log_in(keycloak, realm, "bob", "Flow-Secret-1") is None
        claims = log_in(keycloak, realm, "alice", "Flow-Secret-1")
        assert claims is not None and "trusted" in claims["realm_access"]["roles"]

        # Bound back to the built-in flow, bob gets a token again.
        kube.patch(
            "keycloakrealms",
            ns,
            "realm",
            {"spec": {"flowBindings": {"directGrant": "direct grant"}}},
        )
        wait_until(
            lambda: log_in(keycloak, realm, "bob", "Flow-Secret-1") is not None,
            TIMEOUT,
            "bob let in by the built-in flow",
        )


def login_page(endpoint: KeycloakEndpoint, realm: str) -> str:
    base = f"{endpoint.base_url}/realms/{realm}"
    response = requests.get(
        f"{base}/protocol/openid-connect/auth",
        params={
            "client_id": "account",
            "redirect_uri": f"{base}/account/",
            "response_type": "code",
            "scope": "openid",
        },
        timeout=30,
    )
    response.raise_for_status()
    return response.text


def test_browser_flow_binding_changes_the_login_page(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
    direct_admin: KeycloakAdmin,
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("browser"))
    with running_controllers(crds, [ns], resync_period=3.0):
        realm = ready_realm(ns, timeout=TIMEOUT).realm_name
        assert 'name="password"' in login_page(keycloak, realm)
        # Username first, the password on a page of its own.
        kube.patch(
            "keycloakrealms",
            ns,
            "realm",
            {
                "spec": {
                    "authenticationFlows": [
                        {
                            "alias": "username first",
                            "executions": [
                                step("auth-cookie", "ALTERNATIVE"),
                                subflow(
                                    "username first forms",
                                    "ALTERNATIVE",
                                    [
                                        step("auth-username-form", "REQUIRED"),
                                        step("auth-password-form", "REQUIRED"),
                                    ],
                                ),
                            ],
                        }
                    ],
                    "flowBindings": {"browser": "username first"},
                }
            },
        )
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "realm Ready")
        page = login_page(keycloak, realm)
        assert 'name="username"' in page and 'name="password"' not in page

        # A client's override keeps the flow from being deleted (Keycloak would answer a
        # bare 500): the condition names the client; without the override it goes.
        flow_id = flows(direct_admin, realm)["username first"].id or ""
        client_id = direct_admin.clients.create(
            realm,
            ClientRepresentation(
                client_id="pinned", authentication_flow_binding_overrides={"browser": flow_id}
            ),
        )
        kube.patch(
            "keycloakrealms",
            ns,
            "realm",
            {"spec": {"authenticationFlows": [], "flowBindings": {"browser": "browser"}}},
        )
        wait_until(
            lambda: "client pinned (browser override)" in message_of(kube, ns),
            TIMEOUT,
            "a flow a client uses is kept",
        )
        assert binding(direct_admin, realm, "browser_flow") == "browser"
        assert "username first" in flows(direct_admin, realm)
        direct_admin.clients.delete(realm, client_id)
        wait_until(lambda: "username first" not in flows(direct_admin, realm), TIMEOUT, "deleted")
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "Ready")


# --- lifecycle and drift on every version --------------------------------------------

CUSTOM = "custom login"
FORMS = "custom login forms"
OTP = "custom login otp"
COPY = "copied grant"
# A copy of a built-in flow, and one of a listed flow (made once that one is complete).
COPIES = [{"alias": COPY, "copyOf": "direct grant"}, {"alias": "custom copy", "copyOf": CUSTOM}]


def custom_flow(
    order: str = "cookie-first", redirect: str | None = None, otp: bool = True
) -> dict[str, Any]:
    cookie = step("auth-cookie", "ALTERNATIVE")
    otp_flow = subflow(
        OTP,
        "CONDITIONAL",
        [step("conditional-user-configured", "REQUIRED"), step("auth-otp-form", "REQUIRED")],
    )
    password = step("auth-username-password-form", "REQUIRED")
    forms = subflow(FORMS, "ALTERNATIVE", [password, otp_flow] if otp else [password])
    executions = [cookie, forms] if order == "cookie-first" else [forms, cookie]
    if redirect is not None:
        executions.insert(
            0,
            step(
                "identity-provider-redirector",
                "ALTERNATIVE",
                config={"alias": "redirect", "config": {"defaultProvider": redirect}},
            ),
        )
    return {"alias": CUSTOM, "description": "Cookie or password", "executions": executions}


EXPECTED = [
    (0, "auth-cookie", "ALTERNATIVE"),
    (0, FORMS, "ALTERNATIVE"),
    (1, "auth-username-password-form", "REQUIRED"),
    (1, OTP, "CONDITIONAL"),
    (2, "conditional-user-configured", "REQUIRED"),
    (2, "auth-otp-form", "REQUIRED"),
]


def test_flows_lifecycle_on_every_version(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    endpoint = keycloak_any_version
    kube = Kube(crds)
    ns = kube.namespace(unique_name("flowlife"))
    with (
        KeycloakAdmin.with_password(
            endpoint.base_url, endpoint.admin_username, endpoint.admin_password
        ) as admin,
        running_controllers(crds, [ns], resync_period=3.0) as manager,
    ):
        realm = ready_realm(
            ns,
            endpoint=endpoint,
            authenticationFlows=[custom_flow(), *COPIES],
            flowBindings={"browser": CUSTOM},
            timeout=TIMEOUT,
        ).realm_name
        auth = admin.authentication
        have = flows(admin, realm)
        assert (have[CUSTOM].description or "").startswith("Cookie or password " + MARKER)
        assert shape(admin, realm, CUSTOM) == EXPECTED
        # The copy is kept as copied (its executions are not listed), and marked as ours.
        assert [s[1] for s in shape(admin, realm, COPY)][:2] == [
            "direct-grant-validate-username",
            "direct-grant-validate-password",
        ]
        assert MARKER in (have[COPY].description or "")
        assert shape(admin, realm, "custom copy") == [
            (level, f"custom copy {name}" if name in (FORMS, OTP) else name, requirement)
            for level, name, requirement in EXPECTED
        ]
        assert binding(admin, realm, "browser_flow") == CUSTOM

        # The second pass of an in-sync realm writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        kube.patch("keycloakrealms", ns, "realm", {"metadata": {"annotations": {"poke": "1"}}})
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes

        # Drift: a requirement, a deleted execution, an added one, a move, the binding.
        tree = actual_tree(auth.executions(realm, CUSTOM))
        cookie, forms = tree[0].info, tree[1]
        auth.update_execution(realm, CUSTOM, cookie.model_copy(update={"requirement": "DISABLED"}))
        auth.delete_execution(realm, forms.children[0].info.id or "")
        auth.add_execution(realm, CUSTOM, "auth-spnego")
        auth.move_execution(realm, cookie.id or "", up=False)
        admin.realms.update(realm, RealmRepresentation(realm=realm, browser_flow="browser"))
        wait_until(
            lambda: (
                shape(admin, realm, CUSTOM) == EXPECTED
                and binding(admin, realm, "browser_flow") == CUSTOM
            ),
            TIMEOUT,
            "the drift corrected",
        )

        # Observe names the differences and writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        observed = custom_flow()
        observed["executions"][0]["requirement"] = "DISABLED"
        watcher = realm_object(
            "watcher",
            "kc",
            realm,
            managementPolicy="Observe",
            authenticationFlows=[observed],
            flowBindings={"browser": "browser"},
        )
        kube.create("keycloakrealms", ns, watcher)
        wait_until(
            lambda: (
                (kube.condition("keycloakrealms", ns, "watcher", "InSync") or {}).get("status")
                == "False"
            ),
            TIMEOUT,
            "Observe reports the drift",
        )
        in_sync = kube.condition("keycloakrealms", ns, "watcher", "InSync")["message"]
        assert f"authenticationFlows[{CUSTOM}].executions[auth-cookie]" in in_sync
        assert "flowBindings.browser" in in_sync
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes
        assert binding(admin, realm, "browser_flow") == CUSTOM
        kube.delete("keycloakrealms", ns, "watcher")

        # A change: the redirector with its config first, the subflow before the cookie.
        reordered = [
            (0, "identity-provider-redirector", "ALTERNATIVE"),
            EXPECTED[1],
            *EXPECTED[2:],
            EXPECTED[0],
        ]
        specs = [custom_flow("forms-first", redirect="corp"), *COPIES]
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"authenticationFlows": specs}})
        wait_until(lambda: shape(admin, realm, CUSTOM) == reordered, TIMEOUT, "reordered")

        def redirect_config() -> dict[str, str]:
            steps = walk(actual_tree(auth.executions(realm, CUSTOM)))
            config_id = next(
                s.info.authentication_config for s in steps if s.info.authentication_config
            )
            return dict(auth.get_config(realm, config_id or "").config or {})

        assert redirect_config().get("defaultProvider") == "corp"
        # A config value changes and a subflow is no longer listed (removed with its
        # executions).
        specs[0] = custom_flow("forms-first", redirect="partner", otp=False)
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"authenticationFlows": specs}})
        wait_until(lambda: redirect_config().get("defaultProvider") == "partner", TIMEOUT, "config")
        wait_until(
            lambda: shape(admin, realm, CUSTOM) == [*reordered[:3], reordered[-1]],
            TIMEOUT,
            "the OTP subflow removed",
        )

        # Removal, owned-only: the copy goes; a flow made by hand stays.
        auth.create_flow(
            realm,
            AuthenticationFlowRepresentation(
                alias="handmade", provider_id="basic-flow", top_level=True, built_in=False
            ),
        )
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"authenticationFlows": specs[:1]}})
        wait_until(
            lambda: not {COPY, "custom copy"} & set(flows(admin, realm)),
            TIMEOUT,
            "the copies deleted",
        )
        assert "handmade" in flows(admin, realm)

        # Unlisting a flow the realm is bound to is refused, naming the binding ...
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"authenticationFlows": []}})
        wait_until(lambda: "browser binding" in message_of(kube, ns), TIMEOUT, "a bound flow kept")
        assert kube.reason("keycloakrealms", ns, "realm") == "KeycloakRejected"
        assert CUSTOM in flows(admin, realm)
        # ... and done in one edit with the binding moved back to the built-in flow.
        kube.patch(
            "keycloakrealms", ns, "realm", {"spec": {"flowBindings": {"browser": "browser"}}}
        )
        wait_until(lambda: CUSTOM not in flows(admin, realm), TIMEOUT, "the flow deleted")
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "Ready")
        assert binding(admin, realm, "browser_flow") == "browser"
        assert {"browser", "direct grant", "registration", "clients"} <= set(flows(admin, realm))

        # Refused by field: a built-in flow listed as managed, a binding to nothing.
        kube.patch(
            "keycloakrealms",
            ns,
            "realm",
            {"spec": {"authenticationFlows": [{"alias": "browser", "executions": []}]}},
        )
        wait_until(
            lambda: "authenticationFlows[browser]" in message_of(kube, ns), TIMEOUT, "built-in"
        )
        assert kube.reason("keycloakrealms", ns, "realm") == "InvalidSpec"
        assert len(shape(admin, realm, "browser")) > 0
        kube.patch(
            "keycloakrealms",
            ns,
            "realm",
            {"spec": {"authenticationFlows": [], "flowBindings": {"directGrant": "nowhere"}}},
        )
        wait_until(
            lambda: "flowBindings.directGrant: no flow 'nowhere'" in message_of(kube, ns),
            TIMEOUT,
            "missing binding target",
        )
        assert binding(admin, realm, "direct_grant_flow") == "direct grant"
