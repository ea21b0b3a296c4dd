"""Rotation of a KeycloakClient's credentials Secret, proven by Keycloak's token endpoint,
and the Secret's metadata and keys.

Behaviour (canonical version):
- on request (a new value of the rotate-secret annotation): the new secret gets a
  client-credentials token, the old one is refused (the realm has no secret-rotation
  policy, so there is no grace period), the Secret matches Keycloak, status shows
  the rotation time, and the request is not acted on twice, nor in Observe mode;
- on a schedule (rotation.period: 1m): it rotates by itself;
- a Secret write that fails after Keycloak rotated (an immutable Secret) is
  reported, and once the Secret can be written again it gets Keycloak's current
  secret, with no second rotation;
- admission refuses rotation with a bring-your-own secret and a period below 1m.
Every version: rotation on request, drift of the Secret's value put back without a
rotation, labels and annotations changed and removed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import requests
from kubernetes import client as k8s

from keycloak_controller.keycloak.client import KeycloakAdmin
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    client_object,
    running_controllers,
    wait_idle,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint

TIMEOUT = 90.0
ROTATE = "keycloak-controller.dev/rotate-secret"
HANDLED = "keycloak-controller.dev/rotate-secret-handled"
SPEC: dict[str, Any] = {"flows": {"serviceAccounts": True, "standard": False}}


def token_status(endpoint: KeycloakEndpoint, realm: str, client_id: str, secret: str) -> int:
    """The HTTP status of a client-credentials token request with this secret."""
    answer = requests.post(
        f"{endpoint.base_url}/realms/{realm}/protocol/openid-connect/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        timeout=30,
    )
    if answer.status_code == 200:
        assert "access_token" in answer.json()
    return answer.status_code


def keycloak_secret(admin: KeycloakAdmin, realm: str, client_id: str) -> str:
    client = admin.clients.find(realm, client_id)
    assert client is not None and client.id
    return str(admin.clients.get_secret(realm, client.id).value)


def secret_value(kube: Kube, ns: str, name: str) -> str | None:
    return (kube.secret_data(ns, name) or {}).get("client-secret")


def secret_object(kube: Kube, ns: str, name: str) -> k8s.V1Secret:
    return kube.core.read_namespaced_secret(name, ns)


def utc_now_rfc3339() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def credentials_status(kube: Kube, ns: str, name: str) -> dict[str, Any]:
    obj = kube.get("keycloakclients", ns, name) or {}
    return dict((obj.get("status") or {}).get("credentials") or {})


def request_rotation(kube: Kube, ns: str, name: str, value: str) -> None:
    kube.patch("keycloakclients", ns, name, {"metadata": {"annotations": {ROTATE: value}}})


def rotated_from(kube: Kube, ns: str, name: str, old: str) -> Callable[[], bool]:
    def check() -> bool:
        value = secret_value(kube, ns, name)
        return value is not None and value != old

    return check


def test_rotation_on_request(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("rotreq"))
    with running_controllers(crds, [ns]) as manager:
        realm = ready_realm(ns).realm_name
        spec = {
            **SPEC,
            "credentialsSecret": {
                "labels": {"team": "billing"},
                "annotations": {"reloader.stakater.com/match": "true"},
            },
        }
        kube.create("keycloakclients", ns, client_object("svc", "realm", "svc", **spec))
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "svc"), TIMEOUT, "client Ready")
        data = kube.secret_data(ns, "svc-credentials") or {}
        assert data["keycloak-url"] == keycloak.base_url
        assert data["realm"] == realm
        old = data["client-secret"]
        assert old == keycloak_secret(direct_admin, realm, "svc")
        assert token_status(keycloak, realm, "svc", old) == 200
        meta = secret_object(kube, ns, "svc-credentials").metadata
        assert meta.labels["team"] == "billing"
        assert meta.labels["app.kubernetes.io/managed-by"] == "keycloak-controller"
        assert meta.annotations["reloader.stakater.com/match"] == "true"
        first = credentials_status(kube, ns, "svc")
        assert first["lastRotationTime"].endswith("Z")
        assert "previousSecretExpiryTime" not in first

        # lastRotationTime has whole seconds: let the clock leave the first one, or a
        # rotation within the same second would be indistinguishable from none.
        wait_until(lambda: utc_now_rfc3339() > first["lastRotationTime"], 5, "a new second")
        request_rotation(kube, ns, "svc", "2026-12-01-a")
        wait_until(rotated_from(kube, ns, "svc-credentials", old), TIMEOUT, "Secret rotated")
        new = secret_value(kube, ns, "svc-credentials")
        assert new is not None
        assert new == keycloak_secret(direct_admin, realm, "svc")
        assert token_status(keycloak, realm, "svc", new) == 200
        # No secret-rotation client policy in the realm: the old secret stops at once.
        assert token_status(keycloak, realm, "svc", old) == 401
        annotations = secret_object(kube, ns, "svc-credentials").metadata.annotations
        assert annotations[HANDLED] == "2026-12-01-a"
        assert annotations["reloader.stakater.com/match"] == "true"
        wait_until(
            lambda: (
                credentials_status(kube, ns, "svc").get("lastRotationTime")
                != first["lastRotationTime"]
            ),
            TIMEOUT,
            "status shows the rotation",
        )
        # The same request value is not acted on again, by any later reconcile.
        kube.patch("keycloakclients", ns, "svc", {"metadata": {"labels": {"touch": "1"}}})
        wait_idle(manager, TIMEOUT)
        assert keycloak_secret(direct_admin, realm, "svc") == new
        assert secret_value(kube, ns, "svc-credentials") == new

        # Observe mode writes nothing to Keycloak: a request made with it is not acted on.
        kube.patch(
            "keycloakclients",
            ns,
            "svc",
            {
                "metadata": {"annotations": {ROTATE: "2026-12-01-b"}},
                "spec": {"managementPolicy": "Observe"},
            },
        )
        wait_until(
            lambda: (
                kube.is_ready("keycloakclients", ns, "svc")
                and kube.reason("keycloakclients", ns, "svc") == "Observed"
            ),
            TIMEOUT,
            "observed",
        )
        assert keycloak_secret(direct_admin, realm, "svc") == new
        assert secret_value(kube, ns, "svc-credentials") == new


def test_rotation_on_a_schedule(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("rotsched"))
    with running_controllers(crds, [ns]):
        realm = ready_realm(ns).realm_name
        spec = {**SPEC, "credentialsSecret": {"rotation": {"period": "1m"}}}
        kube.create("keycloakclients", ns, client_object("svc", "realm", "svc", **spec))
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "svc"), TIMEOUT, "client Ready")
        old = secret_value(kube, ns, "svc-credentials")
        assert old is not None
        due = credentials_status(kube, ns, "svc")["nextRotationTime"]
        # Nothing asks for it: the controller comes back when the period is over.
        wait_until(rotated_from(kube, ns, "svc-credentials", old), 150.0, "scheduled rotation")
        new = secret_value(kube, ns, "svc-credentials")
        assert new is not None
        assert new == keycloak_secret(direct_admin, realm, "svc")
        assert token_status(keycloak, realm, "svc", new) == 200
        assert token_status(keycloak, realm, "svc", old) == 401
        wait_until(
            lambda: credentials_status(kube, ns, "svc").get("nextRotationTime", due) > due,
            TIMEOUT,
            "the next rotation is scheduled later",
        )


def test_a_failed_secret_write_is_repaired_without_a_second_rotation(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("rotfail"))
    with running_controllers(crds, [ns]):
        realm = ready_realm(ns).realm_name
        kube.create("keycloakclients", ns, client_object("svc", "realm", "svc", **SPEC))
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "svc"), TIMEOUT, "client Ready")
        old = secret_value(kube, ns, "svc-credentials")
        # An immutable Secret: the apiserver refuses the rotation's write of its data.
        kube.core.patch_namespaced_secret("svc-credentials", ns, {"immutable": True})
        request_rotation(kube, ns, "svc", "one")
        wait_until(
            lambda: kube.reason("keycloakclients", ns, "svc") == "SecretWriteFailed",
            TIMEOUT,
            "the failed write reported",
        )
        rotated = keycloak_secret(direct_admin, realm, "svc")
        assert rotated != old
        assert secret_value(kube, ns, "svc-credentials") == old
        kube.core.delete_namespaced_secret("svc-credentials", ns)
        wait_until(rotated_from(kube, ns, "svc-credentials", old or ""), TIMEOUT, "Secret repaired")
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "svc"), TIMEOUT, "client Ready")
        # Keycloak's secret from the failed rotation, not a second one.
        assert keycloak_secret(direct_admin, realm, "svc") == rotated
        assert secret_value(kube, ns, "svc-credentials") == rotated
        assert token_status(keycloak, realm, "svc", rotated) == 200
        annotations = secret_object(kube, ns, "svc-credentials").metadata.annotations
        assert annotations[HANDLED] == "one"


def test_admission_refuses_rotation_settings_it_cannot_honour(
    crds: ControlPlaneEndpoint, unique_name: Callable[[str], str]
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("rotadm"))
    cases = {
        "byo": (
            {"existingSecret": {"name": "mine", "key": "s"}, "rotation": {"period": "720h"}},
            "bring-your-own",
        ),
        "short": ({"rotation": {"period": "30s"}}, "at least 1m"),
        "format": ({"rotation": {"period": "30d"}}, "period"),
        "reserved": (
            {"annotations": {"keycloak-controller.dev/rotate-secret-handled": "x"}},
            "set by the controller",
        ),
    }
    for name, (credentials, message) in cases.items():
        body = client_object(name, "realm", name, **SPEC, credentialsSecret=credentials)
        with pytest.raises(k8s.ApiException) as refused:
            kube.create("keycloakclients", ns, body)
        assert refused.value.status == 422
        assert message in str(refused.value.body), name
    public = client_object(
        "pub", "realm", "pub", accessType="Public", credentialsSecret={"rotation": {}}
    )
    with pytest.raises(k8s.ApiException) as refused:
        kube.create("keycloakclients", ns, public)
    assert "Confidential openid-connect clients" in str(refused.value.body)


def test_rotation_lifecycle_on_every_version(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    make_admin: Callable[[KeycloakEndpoint], KeycloakAdmin],
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    endpoint = keycloak_any_version
    admin = make_admin(endpoint)
    kube = Kube(crds)
    ns = kube.namespace(unique_name("rotlife"))
    with running_controllers(crds, [ns]):
        realm = ready_realm(ns, endpoint=endpoint, timeout=TIMEOUT).realm_name
        spec = {**SPEC, "credentialsSecret": {"name": "creds", "labels": {"team": "a"}}}
        kube.create("keycloakclients", ns, client_object("svc", "realm", "svc", **spec))
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "svc"), TIMEOUT, "client Ready")
        old = secret_value(kube, ns, "creds")
        assert old == keycloak_secret(admin, realm, "svc")
        assert (kube.secret_data(ns, "creds") or {})["realm"] == realm

        request_rotation(kube, ns, "svc", "1")
        wait_until(rotated_from(kube, ns, "creds", old or ""), TIMEOUT, "Secret rotated")
        new = secret_value(kube, ns, "creds") or ""
        assert new == keycloak_secret(admin, realm, "svc")
        assert token_status(endpoint, realm, "svc", new) == 200
        assert token_status(endpoint, realm, "svc", old or "") == 401

        # Drift: a hand-edited value is put back from Keycloak, which is not rotated.
        kube.core.patch_namespaced_secret(
            "creds", ns, {"stringData": {"client-secret": "edited-by-hand"}}
        )
        wait_until(lambda: secret_value(kube, ns, "creds") == new, TIMEOUT, "the Secret put back")
        assert keycloak_secret(admin, realm, "svc") == new

        # Metadata changed, then removed: the Secret follows.
        kube.patch(
            "keycloakclients",
            ns,
            "svc",
            {"spec": {"credentialsSecret": {"labels": {"team": "b"}}}},
        )
        wait_until(
            lambda: (secret_object(kube, ns, "creds").metadata.labels or {}).get("team") == "b",
            TIMEOUT,
            "label changed",
        )
        kube.patch("keycloakclients", ns, "svc", {"spec": {"credentialsSecret": {"labels": None}}})
        wait_until(
            lambda: "team" not in (secret_object(kube, ns, "creds").metadata.labels or {}),
            TIMEOUT,
            "label removed",
        )
        assert keycloak_secret(admin, realm, "svc") == new
        # A second request value rotates again.
        request_rotation(kube, ns, "svc", "2")
        wait_until(rotated_from(kube, ns, "creds", new), TIMEOUT, "rotated again")
        assert token_status(endpoint, realm, "svc", secret_value(kube, ns, "creds") or "") == 200
        assert token_status(endpoint, realm, "svc", new) == 401
