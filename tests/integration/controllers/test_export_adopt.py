"""`keycloak-controller export` against the real Keycloak: adoption of the live realm
(--adopt), including one the seed operator managed.

The hand-made realm and the comparison are in tests/support/handmade_realm.py, which
lists every field the comparison ignores, and why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from keycloak_controller.controllers.ownership import MANAGED_BY, OWNER_NAME
from keycloak_controller.controllers.realm_plan import SMTP_PASSWORD_DIGEST
from keycloak_controller.controllers.realm_reconciler import SMTP_SECRET_PATH
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import RoleRepresentation
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
    # A role only this test's realm has: adopted untagged, later removed from the spec.
    admin.roles.create(realm, RoleRepresentation(name="legacy", description="Old"))
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

    api_cr = next(o for o in adopting if o.get("spec", {}).get("clientId") == "api")
    api_name = api_cr["metadata"]["name"]
    with running_controllers(crds, [namespace]) as manager:
        # No stamp landed, so the claim is guarded on the Kubernetes side: a second
        # resource for the same client is refused, naming the first, and writes nothing.
        twin = {**api_cr, "metadata": {"name": "twin", "namespace": namespace}}
        twin["spec"] = {**api_cr["spec"], "credentialsSecret": {"name": "twin-credentials"}}
        kube.create("keycloakclients", namespace, twin)
        wait_until(
            lambda: kube.reason("keycloakclients", namespace, "twin") == "OwnershipConflict",
            TIMEOUT,
            "the twin refused",
        )
        message = kube.condition("keycloakclients", namespace, "twin")["message"]
        assert f"KeycloakClient {namespace}/{api_name}" in message
        wait_idle(manager, TIMEOUT)
        assert_no_writes(capfd.readouterr().out, namespace, realm)
        # Adoption took the SMTP password in Keycloak to be the Secret's (Keycloak masks
        # it) and kept that Secret's digest in status, not Keycloak; a child adopted
        # untagged is recorded there too.
        status = (kube.get("keycloakrealms", namespace, realm_cr) or {})["status"]
        assert SMTP_SECRET_PATH in status.get("adoptedDigests", {}), status
        assert "legacy" in status["adopted"]["roles"], status.get("adopted")
        assert SMTP_PASSWORD_DIGEST not in (admin.realms.get(realm).attributes or {})
        # A Secret changed before the object's first write is still seen: the rotated
        # password is sent, and that first write carries the ownership stamp.
        realm_doc = next(o for o in adopting if o["kind"] == "KeycloakRealm")
        ref = realm_doc["spec"]["smtp"]["auth"]["passwordSecretRef"]
        kube.core.patch_namespaced_secret(
            ref["name"], namespace, {"stringData": {ref["key"]: "rotated-after-adoption"}}
        )
        wait_until(
            lambda: SMTP_PASSWORD_DIGEST in (admin.realms.get(realm).attributes or {}),
            TIMEOUT,
            "the rotated SMTP password sent",
        )
        stamp = admin.realms.get(realm).attributes or {}
        assert stamp.get(MANAGED_BY) == "keycloak-controller"
        assert stamp.get(OWNER_NAME) == realm_cr
        # Removing the adopted child from the spec deletes it like one this resource
        # created; the others stay.
        kept = [r for r in realm_doc["spec"]["roles"] if r["name"] != "legacy"]
        kube.patch("keycloakrealms", namespace, realm_cr, {"spec": {"roles": kept}})
        wait_until(
            lambda: "legacy" not in {r.name for r in admin.roles.list(realm)},
            TIMEOUT,
            "the adopted role deleted",
        )
        assert {r["name"] for r in kept} <= {r.name for r in admin.roles.list(realm)}
        assert (admin.clients.find(realm, "api") or api).attributes == after.attributes
        # The twin never claimed the client: deleting it keeps the client. The adopted
        # resource, never written and so never stamped, still owns it: deleting it
        # (deletionPolicy Delete) deletes the client.
        kube.delete("keycloakclients", namespace, "twin")
        wait_until(lambda: kube.get("keycloakclients", namespace, "twin") is None, TIMEOUT, "gone")
        assert admin.clients.find(realm, "api") is not None
        kube.delete("keycloakclients", namespace, api_name)
        wait_until(
            lambda: admin.clients.find(realm, "api") is None, TIMEOUT, "the adopted client deleted"
        )
