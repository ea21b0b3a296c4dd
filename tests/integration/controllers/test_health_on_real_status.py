"""kstatus and the Argo CD health checks on statuses the controller really wrote.

Both verdicts come from the real readers: Flux's kstatus (sigs.k8s.io/cli-utils)
and deploy/argocd/health.lua in gopher-lua as Argo CD runs it, through the Go
helper in tests/support/gitops_readers.py (one call per batch of objects).
The unit tests run both on recorded statuses; here the objects come from the
apiserver after the controllers reconciled them: Ready (Current / Healthy),
waiting for a dependency (InProgress / Progressing), stalled on a spec that
cannot work (Failed / Degraded), and a spec change the stopped controller has
not observed yet (InProgress / Progressing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from keycloak_controller.keycloak.client import KeycloakAdmin
from tests.support import gitops_readers
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
from tests.support.kstatus import KStatus

TIMEOUT = 60.0


@dataclass(frozen=True)
class Verdicts:
    kstatus: KStatus
    kstatus_message: str
    health: str
    health_message: str
    obj: dict[str, Any]


def judge(objs: list[dict[str, Any]]) -> list[Verdicts]:
    """kstatus and Argo CD health of each object, in one helper call."""
    out = []
    for obj, verdict in zip(objs, gitops_readers.read(objs), strict=True):
        assert verdict.kstatus is not None, verdict.kstatus_error
        assert verdict.health is not None, verdict.health_error
        out.append(
            Verdicts(
                KStatus(verdict.kstatus.status),
                verdict.kstatus.message,
                verdict.health.status,
                verdict.health.message,
                obj,
            )
        )
    return out


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

    def verdicts(*objects: tuple[str, str]) -> list[Verdicts]:
        got = [kube.get(plural, ns, name) for plural, name in objects]
        assert all(obj is not None for obj in got), objects
        return judge([obj for obj in got if obj is not None])

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
            kc, realm, app, waiting, bad = verdicts(
                ("keycloaks", "kc"),
                ("keycloakrealms", "realm"),
                ("keycloakclients", "app"),
                ("keycloakclients", "waiting"),
                ("keycloakclients", "bad"),
            )
            for ready in (kc, realm, app):
                assert (ready.kstatus, ready.health) == (KStatus.CURRENT, "Healthy"), ready.obj

            assert (waiting.kstatus, waiting.health) == (KStatus.IN_PROGRESS, "Progressing"), (
                waiting.obj["status"]
            )
            assert waiting.kstatus_message  # kstatus carries the controller's message

            assert (bad.kstatus, bad.health) == (KStatus.FAILED, "Degraded"), bad.obj["status"]
            assert kube.reason("keycloakclients", ns, "bad") == "InvalidSpec"
            assert "no-such-role" in bad.kstatus_message
            # Argo CD shows the reason before the controller's message.
            assert bad.health_message.startswith("InvalidSpec: "), bad.health_message
            assert "no-such-role" in bad.health_message

        # The controller is stopped: a spec change stays unobserved.
        kube.patch("keycloakclients", ns, "app", {"spec": {"redirectUris": ["https://x/cb"]}})
        [app] = verdicts(("keycloakclients", "app"))
        status = app.obj["status"]
        assert app.obj["metadata"]["generation"] == status["observedGeneration"] + 1
        assert status["conditions"][0]["status"] == "True"  # Ready, but for the old spec
        assert (app.kstatus, app.health) == (KStatus.IN_PROGRESS, "Progressing")
        assert "generation" in app.kstatus_message.lower()

        with running_controllers(crds, [ns]):
            wait_until(lambda: kube.is_ready("keycloakclients", ns, "app"), TIMEOUT, "observed")
            [app] = verdicts(("keycloakclients", "app"))
            assert (app.kstatus, app.health) == (KStatus.CURRENT, "Healthy")
    finally:
        direct_admin.realms.delete(realm_name)
