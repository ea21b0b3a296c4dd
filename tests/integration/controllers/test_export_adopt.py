"""`keycloak-controller export` against the real Keycloak: adoption of the live realm
(--adopt), including one the seed operator managed.

The hand-made realm and the comparison are in tests/support/handmade_realm.py, which
lists every field the comparison ignores, and why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from keycloak_controller.keycloak.client import KeycloakAdmin
from tests.support.controller_harness import Kube, running_controllers, wait_idle, wait_until
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.handmade_realm import (
    PLURALS,
    TIMEOUT,
    apply,
    build_realm,
    controller_writes,
    exported,
    fill,
    keycloak_objects,
    long_admin,
    secret_values,
    snapshot,
    wait_all_ready,
)
from tests.support.keycloak_server import KeycloakEndpoint
from tests.support.ldap_server import LdapEndpoint


@pytest.fixture
def admin(keycloak: KeycloakEndpoint) -> Iterator[KeycloakAdmin]:
    with long_admin(keycloak) as made:
        yield made


@pytest.fixture
def realm(admin: KeycloakAdmin, unique_name: Callable[[str], str]) -> Iterator[str]:
    """The hand-made realm's name; the realm is deleted after the test."""
    name = unique_name("adopt")
    yield name
    if any(r.realm == name for r in admin.realms.list()):
        admin.realms.delete(name)


def all_writes(output: str, realm: str) -> list[str]:
    """Every Keycloak write into `realm` on the audit trail, whether or not a planned
    change was bound to it, except Keycloak's LDAP connection test (a POST that binds
    and stores nothing). The test makes no writes of its own while this is read."""
    return [
        line
        for line in output.splitlines()
        if "keycloak write" in line
        and "keycloak write done" not in line
        and f" realm={realm} " in line
        and "testLDAPConnection" not in line
    ]


def assert_no_writes(output: str, namespace: str, realm: str) -> None:
    planned = controller_writes(output, namespace)
    assert planned == [], "planned changes written:\n" + "\n".join(planned)
    other = all_writes(output, realm)
    assert other == [], "writes outside planned changes:\n" + "\n".join(other)


def test_adopt_takes_over_the_realm_and_a_seed_operator_client_with_zero_writes(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    admin: KeycloakAdmin,
    ldap: LdapEndpoint,
    realm: str,
    unique_name: Callable[[str], str],
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The realm and client carry the seed operator's ownership attributes. Without the
    opt-in the export is refused (OwnershipConflict, nothing written); with --adopt every
    object ends Ready and nothing at all is written to Keycloak (not even an ownership
    stamp: it waits for the first write an object needs), so nothing is created or
    deleted and the ids and the client secret stay; a cold restart writes nothing either."""
    kube = Kube(crds)
    namespace = kube.namespace(unique_name("adopt"))
    build_realm(admin, realm, ldap)
    api = admin.clients.find(realm, "api")
    assert api is not None and api.id
    secret_before = admin.clients.get_secret(realm, api.id).value
    realm_id = admin.realms.get(realm).id
    plain = fill(
        exported(admin, realm, namespace, adopt=False),
        secret_values(ldap),
    )
    adopting = fill(
        exported(admin, realm, namespace, adopt=True),
        secret_values(ldap),
    )
    assert all(o["spec"]["adoptExisting"] is True for o in adopting if o["kind"] in PLURALS)
    untouched = snapshot(admin, realm)
    realm_cr = next(o for o in plain if o["kind"] == "KeycloakRealm")["metadata"]["name"]
    capfd.readouterr()  # the hand-made realm's own writes
    with running_controllers(crds, [namespace]) as first:
        apply(kube, keycloak_objects(keycloak, namespace) + plain)
        wait_until(
            lambda: kube.reason("keycloakrealms", namespace, realm_cr) == "OwnershipConflict",
            TIMEOUT,
            "the realm refused without adoptExisting",
        )
        # Nothing written: no write in the audit trail and the realm as it was. (The
        # request counter is not used here: the federation section's LDAP bind test is a
        # POST that changes nothing.)
        out = capfd.readouterr().out
        assert_no_writes(out, namespace, realm)
        assert snapshot(admin, realm) == untouched
        for body in adopting:
            if body["kind"] in PLURALS:
                kube.patch(
                    PLURALS[body["kind"]],
                    namespace,
                    body["metadata"]["name"],
                    {"spec": {"adoptExisting": True}},
                )
        wait_all_ready(kube, adopting)
        wait_idle(first, TIMEOUT)
        out = capfd.readouterr().out
    # Adoption writes nothing at all: no planned change ran, and no write outside one.
    assert_no_writes(out, namespace, realm)
    assert snapshot(admin, realm) == untouched
    assert admin.realms.get(realm).id == realm_id
    after = admin.clients.find(realm, "api")
    assert after is not None and after.id == api.id
    assert admin.clients.get_secret(realm, api.id).value == secret_before
    # A cold start of the controllers reconciles every object again and writes nothing.
    with running_controllers(crds, [namespace]) as manager:
        wait_all_ready(kube, adopting)
        wait_idle(manager, TIMEOUT)
    out = capfd.readouterr().out
    assert_no_writes(out, namespace, realm)
    assert snapshot(admin, realm) == untouched
