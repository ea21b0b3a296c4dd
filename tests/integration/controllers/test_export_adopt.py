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


# What adoption writes, by change path: this controller's ownership stamps
# (attributes; the owner tag of roles, identity providers and the LDAP provider, with
# their secrets' digests), and on the bearer-only client standardFlowEnabled (see the
# module docstring).
TAKEOVER_CHANGES = frozenset(
    {
        "attributes",
        "standardFlowEnabled",
        "roles[viewer]",
        "roles[editor]",
        "roles[call]",
        "identityProviders[corp]",
        # the provider's bind-credential digest on the component, and its owner record
        # (a realm attribute, realm_federation_records)
        "userFederation.ldap[corp-ldap]",
    }
)
# A realm PUT always carries the OTP and WebAuthn groups whole (realm_plan.POLICY_GROUPS)
# and, when the SMTP password's digest is new, the SMTP server with the password.
REALM_PUT_CARRIES = ("otpPolicy", "webAuthnPolicy", "smtpServer")


def test_adopt_takes_over_the_realm_and_a_seed_operator_client_with_ownership_writes_only(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    admin: KeycloakAdmin,
    ldap: LdapEndpoint,
    unique_name: Callable[[str], str],
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The realm and client carry the seed operator's ownership attributes. Without the
    opt-in the export is refused (OwnershipConflict, nothing written); with --adopt every
    object ends Ready, nothing is created or deleted, the ids and the client secret stay,
    the only writes are the ownership stamps, and the next full pass writes nothing."""
    kube = Kube(crds)
    realm = unique_name("adopt")
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
        assert controller_writes(capfd.readouterr().out, namespace) == []
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
        writes = controller_writes(capfd.readouterr().out, namespace)
    # Adoption writes only the takeover itself (TAKEOVER_CHANGES), each change once;
    # nothing is created or deleted.
    changes = {
        part
        for w in writes
        for part in (p.strip(" '\"()") for p in w.split(" (", 1)[1].split(","))
        if part and not part.startswith(REALM_PUT_CARRIES)
    }
    assert len(writes) == len(set(writes)), "each change is written once: " + "\n".join(writes)
    assert [w for w in writes if not w.startswith("PUT ")] == [], writes
    assert changes <= TAKEOVER_CHANGES, "\n".join(writes)
    assert admin.realms.get(realm).id == realm_id
    after = admin.clients.find(realm, "api")
    assert after is not None and after.id == api.id
    assert admin.clients.get_secret(realm, api.id).value == secret_before
    # Taken over, the export is exactly what Keycloak has: a cold start of the
    # controllers reconciles every object again and writes nothing.
    adopted = snapshot(admin, realm)
    with running_controllers(crds, [namespace]) as manager:
        wait_all_ready(kube, adopting)
        wait_idle(manager, TIMEOUT)
    assert controller_writes(capfd.readouterr().out, namespace) == []
    assert snapshot(admin, realm) == adopted
