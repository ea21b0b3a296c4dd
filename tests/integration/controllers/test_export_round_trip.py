"""`keycloak-controller export` against the real Keycloak: the round trip (export a
hand-made realm, apply it under a new name, compare).

The hand-made realm and the comparison are in tests/support/handmade_realm.py, which
lists every field the comparison ignores, and why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from keycloak_controller.keycloak.client import KeycloakAdmin
from tests.support.controller_harness import Kube, running_controllers
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.handmade_realm import (
    IDP_SECRET,
    SMTP_PASSWORD,
    apply,
    build_realm,
    differences,
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


def test_round_trip_rebuilds_the_realm_field_by_field(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    admin: KeycloakAdmin,
    ldap: LdapEndpoint,
    unique_name: Callable[[str], str],
) -> None:
    kube = Kube(crds)
    original, copy_name = unique_name("handmade"), unique_name("copy")
    namespace = kube.namespace(unique_name("export"))
    build_realm(admin, original, ldap)
    documents = exported(admin, original, namespace, adopt=False)
    text = "".join(d.render() for d in documents)
    # Secret values never reach the export.
    assert IDP_SECRET not in text and SMTP_PASSWORD not in text
    api = admin.clients.find(original, "api")
    assert api is not None and api.id
    assert (admin.clients.get_secret(original, api.id).value or "no secret") not in text
    realm_doc = next(d for d in documents if d.kind == "KeycloakRealm")
    assert realm_doc.body["spec"]["additionalSettings"] == {"userManagedAccessAllowed": True}
    assert "userManagedAccessAllowed" in realm_doc.render().split("apiVersion")[0]  # a comment
    objects = fill(documents, secret_values(ldap))
    for body in objects:
        if body["kind"] == "KeycloakRealm":
            body["spec"]["realmName"] = copy_name
    with running_controllers(crds, [namespace]):
        apply(kube, keycloak_objects(keycloak, namespace) + objects)
        wait_all_ready(kube, objects)
    before = snapshot(admin, original)
    after = snapshot(admin, copy_name)
    found = differences(before, after)
    assert not found, "\n".join(found)
    # The copied IdP secret and SMTP password are the filled ones (Keycloak masks them;
    # the controller's digests say what was sent).
    assert (admin.identity_providers.get(copy_name, "corp").config or {}).get(
        "clientSecret"
    ) == "**********"
