"""A bundle applied at once (Argo CD, Flux, `kubectl apply -k` of an export) converges
by itself and to the same result whatever order the controller meets it in.

- A client and a user applied together with their realm (client first, all before
  the controller starts) are created only after the realm's reconcile has put its
  default client scopes and default groups in place: Keycloak copies those at
  creation only, so the token of a user logged in through that client carries the
  custom default scope's claims (a hardcoded claim and the default group). The
  same when the realm already exists and its new defaults arrive with the new
  children (the realm is Ready, but for its previous generation).
- A client whose authorization policy names a user and a client that are created
  20 s later becomes Ready soon after they do, although the controllers run with a
  1000 s backoff cap: the missing names are waits (short retry), and the named
  KeycloakUser/KeycloakClient becoming Ready wakes the client.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from keycloak_controller.keycloak.client import KeycloakAdmin
from tests.support.controller_harness import (
    Kube,
    client_object,
    keycloak_object,
    log_in,
    realm_object,
    running_controllers,
    user_object,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint

TIMEOUT = 90.0
# 26.7.3's realm default client scopes, which a realm keeps unless told otherwise.
BUILT_IN_DEFAULTS = ["acr", "basic", "email", "profile", "roles", "web-origins"]


def tier_scope() -> dict[str, Any]:
    """A default scope whose claims show whether a client got it: a hardcoded claim and
    the user's groups."""
    return {
        "name": "tier",
        "protocol": "openid-connect",
        "protocolMappers": [
            {
                "name": "tier",
                "protocolMapper": "oidc-hardcoded-claim-mapper",
                "config": {
                    "claim.name": "tier",
                    "claim.value": "gold",
                    "jsonType.label": "String",
                    "access.token.claim": "true",
                },
            },
            {
                "name": "groups",
                "protocolMapper": "oidc-group-membership-mapper",
                "config": {
                    "claim.name": "groups",
                    "full.path": "false",
                    "access.token.claim": "true",
                },
            },
        ],
    }


def user(name: str, kube: Kube, ns: str) -> tuple[dict[str, Any], str]:
    password = f"{name}-Secret-1"
    kube.secret(ns, f"{name}-password", {"password": password})
    body = user_object(
        name,
        "realm",
        name,
        email=f"{name}@example.com",
        firstName=name.title(),
        lastName="Example",
        emailVerified=True,
        password={"secretRef": {"name": f"{name}-password", "key": "password"}},
    )
    return body, password


def test_children_applied_with_their_realm_get_its_defaults_at_creation(
    crds: ControlPlaneEndpoint, keycloak: KeycloakEndpoint, unique_name: Callable[[str], str]
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("together"))
    realm_name = unique_name("realm")
    credentials = {"username": keycloak.admin_username, "password": keycloak.admin_password}
    alice, password = user("alice", kube, ns)
    kube.secret(ns, "admin", credentials)
    # Everything exists before the controllers start, children first: the first list
    # hands them all over at once, in no order the controller can rely on.
    login = client_object(
        "login", "realm", "login", accessType="Public", flows={"directAccessGrants": True}
    )
    kube.create("keycloakclients", ns, login)
    kube.create("keycloakusers", ns, alice)
    kube.create(
        "keycloakrealms",
        ns,
        realm_object(
            "realm",
            "kc",
            realm_name,
            groups=[{"path": "/staff"}],
            defaultGroups=["/staff"],
            clientScopes=[tier_scope()],
            defaultClientScopes=[*BUILT_IN_DEFAULTS, "tier"],
        ),
    )
    kube.create("keycloaks", ns, keycloak_object("kc", keycloak, "admin"))
    with running_controllers(crds, [ns]):
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "realm")
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "login"), TIMEOUT, "login")
        wait_until(lambda: kube.is_ready("keycloakusers", ns, "alice"), TIMEOUT, "alice")
        claims = log_in(keycloak, realm_name, "alice", password)
        assert claims is not None, "alice cannot log in through the login client"
        assert claims.get("tier") == "gold", "the client lacks the realm's default scope"
        assert "staff" in claims.get("groups", []), "alice lacks the realm's default group"


def test_children_applied_with_a_change_of_their_realm_defaults_get_the_new_ones(
    crds: ControlPlaneEndpoint, keycloak: KeycloakEndpoint, unique_name: Callable[[str], str]
) -> None:
    """The realm exists and is Ready for an older generation: a new client and user
    applied with the realm's new defaults wait for the realm's reconcile of them."""
    kube = Kube(crds)
    ns = kube.namespace(unique_name("changed"))
    realm_name = unique_name("realm")
    credentials = {"username": keycloak.admin_username, "password": keycloak.admin_password}
    kube.secret(ns, "admin", credentials)
    kube.create("keycloaks", ns, keycloak_object("kc", keycloak, "admin"))
    kube.create("keycloakrealms", ns, realm_object("realm", "kc", realm_name))
    with running_controllers(crds, [ns]):
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "realm")
    # While no controller runs, the bundle changes: new realm defaults, new children.
    defaults = {
        "groups": [{"path": "/staff"}],
        "defaultGroups": ["/staff"],
        "clientScopes": [tier_scope()],
        "defaultClientScopes": [*BUILT_IN_DEFAULTS, "tier"],
    }
    kube.patch("keycloakrealms", ns, "realm", {"spec": defaults})
    login = client_object(
        "login", "realm", "login", accessType="Public", flows={"directAccessGrants": True}
    )
    kube.create("keycloakclients", ns, login)
    alice, password = user("alice", kube, ns)
    kube.create("keycloakusers", ns, alice)
    with running_controllers(crds, [ns]):
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "login"), TIMEOUT, "login")
        wait_until(lambda: kube.is_ready("keycloakusers", ns, "alice"), TIMEOUT, "alice")
        claims = log_in(keycloak, realm_name, "alice", password)
        assert claims is not None, "alice cannot log in through the login client"
        assert claims.get("tier") == "gold", "the client lacks the realm's new default scope"
        assert "staff" in claims.get("groups", []), "alice lacks the realm's new default group"


def test_a_realm_that_fails_a_later_section_still_gives_new_clients_its_defaults(
    crds: ControlPlaneEndpoint, keycloak: KeycloakEndpoint, unique_name: Callable[[str], str]
) -> None:
    """Existence, not perfection: a realm whose required actions cannot be applied
    (Ready=False) still applies the sections planned before them, and its client,
    created after that reconcile, has the default scope."""
    kube = Kube(crds)
    ns = kube.namespace(unique_name("partial"))
    realm_name = unique_name("realm")
    credentials = {"username": keycloak.admin_username, "password": keycloak.admin_password}
    kube.secret(ns, "admin", credentials)
    alice, password = user("alice", kube, ns)
    login = client_object(
        "login", "realm", "login", accessType="Public", flows={"directAccessGrants": True}
    )
    kube.create("keycloakclients", ns, login)
    kube.create("keycloakusers", ns, alice)
    kube.create(
        "keycloakrealms",
        ns,
        realm_object(
            "realm",
            "kc",
            realm_name,
            clientScopes=[tier_scope()],
            defaultClientScopes=[*BUILT_IN_DEFAULTS, "tier"],
            # After the scopes in section order, and refused while planning.
            requiredActions=[{"alias": "no-such-action"}],
        ),
    )
    kube.create("keycloaks", ns, keycloak_object("kc", keycloak, "admin"))
    with running_controllers(crds, [ns]):
        wait_until(
            lambda: kube.reason("keycloakrealms", ns, "realm") == "InvalidSpec",
            TIMEOUT,
            "the realm refusing its required actions",
        )
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "login"), TIMEOUT, "login")
        wait_until(lambda: kube.is_ready("keycloakusers", ns, "alice"), TIMEOUT, "alice")
        assert "no-such-action" in str(kube.condition("keycloakrealms", ns, "realm"))
        claims = log_in(keycloak, realm_name, "alice", password)
        assert claims is not None, "alice cannot log in through the login client"
        assert claims.get("tier") == "gold", "the realm's scopes were held back by a later section"


def test_a_policy_naming_objects_created_later_settles_soon_after_them(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    direct_admin: KeycloakAdmin,
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("later"))
    realm_name = unique_name("realm")
    credentials = {"username": keycloak.admin_username, "password": keycloak.admin_password}
    kube.secret(ns, "admin", credentials)
    kube.create("keycloaks", ns, keycloak_object("kc", keycloak, "admin"))
    kube.create("keycloakrealms", ns, realm_object("realm", "kc", realm_name))
    authorization = {
        "resources": [{"name": "doc", "uris": ["/doc/*"]}],
        "policies": [
            {"name": "bob-only", "user": {"users": ["bob"]}},
            {"name": "from-gateway", "client": {"clients": ["gateway"]}},
        ],
        "permissions": [
            {"name": "doc", "resources": ["doc"], "policies": ["bob-only", "from-gateway"]}
        ],
    }
    rs = client_object(
        "rs",
        "realm",
        "rs",
        accessType="Confidential",
        flows={"serviceAccounts": True},
        authorization=authorization,
    )
    # A production-like backoff: without the short retry for waits and the wake-up
    # on the named objects, the next retry after they appear could be minutes away.
    with running_controllers(crds, [ns], backoff_cap=1000.0):
        kube.create("keycloakclients", ns, rs)
        wait_until(
            lambda: "unknown" in str(kube.condition("keycloakclients", ns, "rs") or {}),
            TIMEOUT,
            "rs waiting for the names its policies use",
        )
        assert not kube.is_ready("keycloakclients", ns, "rs")
        time.sleep(20)  # the rest of the bundle arrives later (a delay, not an assertion)
        bob, _ = user("bob", kube, ns)
        kube.create("keycloakusers", ns, bob)
        kube.create(
            "keycloakclients",
            ns,
            client_object("gateway", "realm", "gateway", accessType="Confidential"),
        )
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "rs"), TIMEOUT, "rs Ready")
        found = direct_admin.clients.find(realm_name, "rs")
        assert found is not None and found.id
        policies = {
            p.name: p.type
            for p in direct_admin.authorization.policies(realm_name, found.id, permission=None)
        }
        assert policies.get("bob-only") == "user" and policies.get("from-gateway") == "client"
