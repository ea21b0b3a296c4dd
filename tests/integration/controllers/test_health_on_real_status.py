"""kstatus and the Argo CD health checks on statuses the controller really wrote.

The unit tests run both on recorded statuses; here the objects come from the
apiserver after the controllers reconciled them: Ready (Current / Healthy),
waiting for a dependency (InProgress / Progressing), stalled on a spec that
cannot work (Failed / Degraded), and a spec change the stopped controller has
not observed yet (InProgress / Progressing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lupa.lua51

from keycloak_controller.keycloak.client import KeycloakAdmin
from tests.support.config import REPO_ROOT
from tests.support.controller_harness import (
    Kube,
    client_object,
    keycloak_object,
    realm_object,
    running_controllers,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint
from tests.support.kstatus import KStatus, compute

TIMEOUT = 60.0
HEALTH_LUA = REPO_ROOT / "deploy" / "argocd" / "health.lua"


def argocd_health(obj: dict[str, Any]) -> str:
    """Run deploy/argocd/health.lua as Argo CD does: `obj` in, `hs` out."""
    lua = lupa.lua51.LuaRuntime(unpack_returned_tuples=True)
    lua.execute("os, io, require, dofile, loadfile, load, loadstring = nil")
    lua.globals().obj = lua.table_from(obj, recursive=True)
    result = lua.execute(HEALTH_LUA.read_text())
    assert result is not None, "the health script returned nothing"
    return str(dict(result.items())["status"])


def test_kstatus_and_argocd_on_real_statuses(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ns"))
    realm_name = unique_name("realm")
    kube.secret(
        ns, "admin", {"username": keycloak.admin_username, "password": keycloak.admin_password}
    )
    kube.create("keycloaks", ns, keycloak_object("kc", keycloak, "admin"))
    kube.create("keycloakrealms", ns, realm_object("realm", "kc", realm_name))
    kube.create("keycloakclients", ns, client_object("app", "realm", "app"))
    # Waits for a realm that does not exist (yet): the controller keeps trying.
    kube.create("keycloakclients", ns, client_object("waiting", "later", "waiting"))
    # Asks for a realm role that does not exist: a person has to fix the spec.
    kube.create(
        "keycloakclients",
        ns,
        client_object(
            "bad",
            "realm",
            "bad",
            flows={"serviceAccounts": True},
            serviceAccount={"realmRoles": ["no-such-role"]},
        ),
    )

    def verdicts(plural: str, name: str) -> tuple[KStatus, str, dict[str, Any]]:
        obj = kube.get(plural, ns, name)
        assert obj is not None
        return compute(obj).status, argocd_health(obj), obj

    try:
        with running_controllers(crds, [ns]):
            wait_until(lambda: kube.is_ready("keycloakclients", ns, "app"), TIMEOUT, "app")
            wait_until(
                lambda: kube.condition("keycloakclients", ns, "bad", "Stalled") is not None,
                TIMEOUT,
                "the bad client Stalled",
            )
            wait_until(
                lambda: kube.reason("keycloakclients", ns, "waiting") == "DependencyNotReady",
                TIMEOUT,
                "the waiting client DependencyNotReady",
            )
            for plural, name in (
                ("keycloaks", "kc"),
                ("keycloakrealms", "realm"),
                ("keycloakclients", "app"),
            ):
                assert verdicts(plural, name)[:2] == (KStatus.CURRENT, "Healthy"), name

            kstatus, health, obj = verdicts("keycloakclients", "waiting")
            assert (kstatus, health) == (KStatus.IN_PROGRESS, "Progressing"), obj["status"]
            assert compute(obj).message  # kstatus carries the controller's message

            kstatus, health, obj = verdicts("keycloakclients", "bad")
            assert (kstatus, health) == (KStatus.FAILED, "Degraded"), obj["status"]
            assert kube.reason("keycloakclients", ns, "bad") == "InvalidSpec"
            assert "no-such-role" in compute(obj).message

        # The controller is stopped: a spec change stays unobserved.
        kube.patch("keycloakclients", ns, "app", {"spec": {"redirectUris": ["https://x/cb"]}})
        kstatus, health, obj = verdicts("keycloakclients", "app")
        assert obj["metadata"]["generation"] == obj["status"]["observedGeneration"] + 1
        assert obj["status"]["conditions"][0]["status"] == "True"  # Ready, but for the old spec
        assert (kstatus, health) == (KStatus.IN_PROGRESS, "Progressing")
        assert "generation" in compute(obj).message.lower()

        with running_controllers(crds, [ns]):
            wait_until(lambda: kube.is_ready("keycloakclients", ns, "app"), TIMEOUT, "observed")
            assert verdicts("keycloakclients", "app")[:2] == (KStatus.CURRENT, "Healthy")
    finally:
        direct_admin.realms.delete(realm_name)
