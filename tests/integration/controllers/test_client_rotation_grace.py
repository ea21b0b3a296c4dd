"""The grace period of a credentials rotation, proven by Keycloak's token endpoint.

Keycloak keeps a rotated client secret working only under a client policy whose
profile has the `secret-rotation` executor, a preview feature that exists only in
a server built with `--features=client-secret-rotation`. The shared Keycloaks are
built without it, so this module starts its own canonical Keycloak built with it
(tests/support/feature_keycloak.py: a copy of the cached dist, rebuilt).

Behaviour: a realm whose clientPolicies apply the executor (rotated secrets kept
ROTATED_GRACE seconds) to confidential clients; a rotation on request; then the new
secret gets a client-credentials token, the old one still does, status shows until
when (Keycloak's `client.secret.rotated.expiration.time`), and after that moment the
old secret is refused while the new one keeps working. The Secret always holds
Keycloak's current secret.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from keycloak_controller.keycloak.client import KeycloakAdmin
from tests.integration.controllers.test_client_rotation import (
    SPEC,
    credentials_status,
    keycloak_secret,
    request_rotation,
    rotated_from,
    secret_value,
    token_status,
)
from tests.support.config import canonical_keycloak_version
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    client_object,
    running_controllers,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.feature_keycloak import FeatureKeycloak
from tests.support.keycloak_server import KeycloakEndpoint
from tests.support.shared import SharedEnvironment

TIMEOUT = 120.0
FEATURE = "client-secret-rotation"
# Short enough to wait out, long enough that the checks during it cannot race it.
ROTATED_GRACE = 75
ROTATED_EXPIRATION = "client.secret.rotated.expiration.time"

ROTATION_PROFILE: dict[str, Any] = {
    "name": "rotate-with-grace",
    "description": "old client secrets keep working for a while",
    "executors": [
        {
            "executor": "secret-rotation",
            "configuration": {
                "expiration-period": 3600,
                "rotated-expiration-period": ROTATED_GRACE,
                "remaining-rotation-period": 600,
            },
        }
    ],
}
ROTATION_POLICY: dict[str, Any] = {
    "name": "confidential-rotation",
    "description": "confidential clients rotate with a grace period",
    "conditions": [
        {"condition": "client-access-type", "configuration": {"type": ["confidential"]}}
    ],
    "profiles": ["rotate-with-grace"],
}


@pytest.fixture(scope="module")
def rotation_keycloak(shared_environment: SharedEnvironment) -> Iterator[KeycloakEndpoint]:
    """A canonical Keycloak with the client-secret-rotation preview feature built in."""
    server = FeatureKeycloak(
        canonical_keycloak_version(),
        shared_environment.run_dir / f"feature-keycloak-{uuid.uuid4().hex[:8]}",
        [FEATURE],
    )
    try:
        yield server.start()
    finally:
        server.stop()


def rfc3339(epoch: str) -> str:
    moment = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    return moment.isoformat().replace("+00:00", "Z")


def rotated_expiration(admin: KeycloakAdmin, realm: str, client_id: str) -> str | None:
    client = admin.clients.find(realm, client_id)
    assert client is not None
    return (client.attributes or {}).get(ROTATED_EXPIRATION)


def test_the_old_secret_works_until_the_policy_expires_it(
    crds: ControlPlaneEndpoint,
    rotation_keycloak: KeycloakEndpoint,
    make_admin: Callable[[KeycloakEndpoint], KeycloakAdmin],
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    endpoint = rotation_keycloak
    admin = make_admin(endpoint)
    kube = Kube(crds)
    ns = kube.namespace(unique_name("rotgrace"))
    policies = {"profiles": [ROTATION_PROFILE], "policies": [ROTATION_POLICY]}
    with running_controllers(crds, [ns]):
        realm = ready_realm(
            ns, endpoint=endpoint, clientPolicies=policies, timeout=TIMEOUT
        ).realm_name
        kube.create("keycloakclients", ns, client_object("svc", "realm", "svc", **SPEC))
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "svc"), TIMEOUT, "client Ready")
        old = secret_value(kube, ns, "svc-credentials") or ""
        assert old == keycloak_secret(admin, realm, "svc")
        assert token_status(endpoint, realm, "svc", old) == 200
        assert "previousSecretExpiryTime" not in credentials_status(kube, ns, "svc")

        request_rotation(kube, ns, "svc", "grace-1")
        wait_until(rotated_from(kube, ns, "svc-credentials", old), TIMEOUT, "Secret rotated")
        new = secret_value(kube, ns, "svc-credentials") or ""
        assert new == keycloak_secret(admin, realm, "svc")
        assert token_status(endpoint, realm, "svc", new) == 200
        # The grace period: the previous secret is still accepted.
        assert token_status(endpoint, realm, "svc", old) == 200

        expires = rotated_expiration(admin, realm, "svc")
        assert expires is not None, "Keycloak kept no rotated secret"
        wait_until(
            lambda: (
                credentials_status(kube, ns, "svc").get("previousSecretExpiryTime")
                == rfc3339(expires)
            ),
            TIMEOUT,
            "status shows Keycloak's expiry of the previous secret",
        )

        # After the expiry Keycloak refuses the previous secret; the current one works.
        wait_until(
            lambda: token_status(endpoint, realm, "svc", old) == 401,
            ROTATED_GRACE + TIMEOUT,
            "the previous secret refused after its expiry",
        )
        # Refused no earlier than the expiry status showed (same clock, whole seconds).
        assert time.time() >= int(expires)
        assert token_status(endpoint, realm, "svc", new) == 200
        assert secret_value(kube, ns, "svc-credentials") == keycloak_secret(admin, realm, "svc")
        assert keycloak_secret(admin, realm, "svc") == new
