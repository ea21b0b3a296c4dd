"""Chaos in the middle of a rollout, end to end: real `keycloak-controller run` processes,
a real Keycloak and a real apiserver, each broken while clients are being created.

1. A Keycloak of the test's own is SIGKILLed three times (restarted on the same
   database and port each time) and the controller once (a new process takes the
   Lease over), while 300 confidential clients with credentials Secrets roll out
   in one realm.
2. A private control plane's kube-apiserver is restarted with etcd compacted past
   every resourceVersion the controller held, while 100 clients roll out: every
   watch must get 410 Gone and relist.

At the end of each: every client Ready, no clientId twice in Keycloak, every CR's
status.clientUuid is Keycloak's id for it, every credentials Secret holds
Keycloak's current secret, and the controllers logged no exception nobody
handled. The timeline of what was broken when, and how long the rollout took to
converge after the last blow, is printed (`-s`).
"""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from kubernetes.client import ApiException

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import ClientRepresentation
from keycloak_controller.runtime import audit
from tests.support import rbac
from tests.support.chaos import (
    DurableKeycloak,
    Timeline,
    duplicates,
    garbled_lines,
    restart_apiserver_with_compaction,
    sigkill,
    unhandled_exceptions,
)
from tests.support.config import canonical_keycloak_version
from tests.support.controller_harness import (
    GROUP_VERSION,
    Kube,
    ReadyRealm,
    client_object,
    create_ready_realm,
    wait_until,
)
from tests.support.controller_process import ControllerProcess, parse_time
from tests.support.controlplane import ControlPlane, ControlPlaneEndpoint
from tests.support.crds import install_crds
from tests.support.keycloak_server import KeycloakEndpoint

# 300 clients: a rollout long enough that three Keycloak restarts and a controller
# takeover all land inside it on this machine, short enough for the suite.
KEYCLOAK_CLIENTS = 300
APISERVER_CLIENTS = 100
# Failure bounds only. A Keycloak restart on a loaded 2-core machine takes 30-90 s.
SETUP_TIMEOUT = 120.0
# Writes in flight when Keycloak dies: more workers, more creates whose answer is lost.
WORKERS = 4
# What a reconcile raises while the apiserver stops, is away, or starts: urllib3's
# errors for a connection refused, or closed mid-request.
APISERVER_GONE = ("MaxRetryError", "ProtocolError")
OUTAGE_SLACK = dt.timedelta(seconds=5)  # requests sent just before it answered again
ROLLOUT_TIMEOUT = 420.0


@pytest.fixture
def processes() -> Iterator[list[ControllerProcess]]:
    started: list[ControllerProcess] = []
    yield started
    for process in started:
        process.kill()


@pytest.fixture
def durable_keycloak(tmp_path: Path) -> Iterator[DurableKeycloak]:
    server = DurableKeycloak(canonical_keycloak_version(), tmp_path / "keycloak")
    yield server
    server.stop()


def client_crs(kube: Kube, namespace: str) -> dict[str, dict[str, Any]]:
    """Every KeycloakClient in `namespace`, by name (one list call).

    The shared apiserver answers 429 "storage is (re)initializing" for a while when
    another test installs changed CRDs; that is retried, not a failure of this test.
    """
    deadline = time.monotonic() + 60
    while True:
        try:
            listed = cast(
                dict[str, Any],
                kube.custom.list_namespaced_custom_object(
                    *GROUP_VERSION, namespace, "keycloakclients"
                ),
            )
            return {item["metadata"]["name"]: item for item in listed["items"]}
        except ApiException as error:
            if error.status not in (429, 503) or time.monotonic() > deadline:
                raise
            time.sleep(1)


def is_ready(cr: dict[str, Any]) -> bool:
    """Kube.is_ready on an object already read."""
    generation = cr["metadata"].get("generation")
    status = cr.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if c["type"] == "Ready"), None)
    return bool(
        ready
        and ready["status"] == "True"
        and ready.get("observedGeneration") == generation
        and status.get("observedGeneration") == generation
    )


def ready_count(kube: Kube, namespace: str) -> int:
    return sum(is_ready(cr) for cr in client_crs(kube, namespace).values())


def create_clients(kube: Kube, namespace: str, names: list[str]) -> None:
    for name in names:
        kube.create("keycloakclients", namespace, client_object(name, "realm", name))


def wait_for_progress(kube: Kube, namespace: str, at_least: int, total: int) -> int:
    """Wait until `at_least` clients are Ready; fail if the rollout is already over, so
    the blow that follows lands in the middle of it."""
    seen = 0

    def reached() -> bool:
        nonlocal seen
        seen = ready_count(kube, namespace)
        return seen >= at_least

    wait_until(reached, ROLLOUT_TIMEOUT, f"{at_least}/{total} clients Ready")
    assert seen < total, f"the rollout was over ({seen}/{total}) before the next blow"
    return seen


def assert_converged(kube: Kube, admin: KeycloakAdmin, realm: ReadyRealm, names: list[str]) -> None:
    """No clientId twice, every uuid and every credentials Secret as Keycloak has them."""
    ns = realm.namespace
    in_keycloak: list[ClientRepresentation] = list(admin.clients.iter_all(realm.realm_name))
    assert duplicates(c.client_id for c in in_keycloak) == {}
    by_client_id = {c.client_id: c for c in in_keycloak}
    crs = client_crs(kube, ns)
    secrets = {s.metadata.name: s for s in kube.core.list_namespaced_secret(ns).items if s.metadata}
    wrong: list[str] = []
    for name in names:
        found = by_client_id.get(name)
        assert found is not None and found.id, f"{name} is not in Keycloak"
        if (crs[name].get("status") or {}).get("clientUuid") != found.id:
            wrong.append(f"{name}: status.clientUuid is not Keycloak's id")
        secret = secrets.get(f"{name}-credentials")
        if secret is None:
            wrong.append(f"{name}: no credentials Secret")
            continue
        value = base64.b64decode((secret.data or {}).get("client-secret", "")).decode()
        if value != admin.clients.get_secret(realm.realm_name, found.id).value:
            wrong.append(f"{name}: the credentials Secret is not Keycloak's secret")
    assert wrong == [], "\n".join(wrong)


def create_outcomes(processes: list[ControllerProcess]) -> Counter[str]:
    """What the audit trails say each client create sent to Keycloak came to."""
    done = {
        r["write_id"]: r["status"] or r["error"]
        for p in processes
        for r in p.events(audit.WRITE_DONE)
    }
    return Counter(
        str(done.get(w["write_id"], "no answer (process killed)"))
        for p in processes
        for w in p.writes()
        if w["cr_kind"] == "KeycloakClient" and w["verb"] == "create" and w["change"] == "client"
    )


def print_report(title: str, timeline: Timeline, outcomes: Counter[str]) -> None:
    print(
        f"\n{title}\n{timeline.render()}\n  client creates sent: {outcomes.total()}, by outcome: "
        + ", ".join(f"{outcome}: {n}" for outcome, n in sorted(outcomes.items()))
    )


def test_keycloak_and_controller_sigkilled_during_a_rollout(
    crds: ControlPlaneEndpoint,
    durable_keycloak: DurableKeycloak,
    unique_name: Callable[[str], str],
    processes: list[ControllerProcess],
    tmp_path: Path,
) -> None:
    timeline = Timeline()
    endpoint = durable_keycloak.start()
    timeline.mark(f"private Keycloak up (first start {durable_keycloak.startup_seconds:.0f}s)")
    kube = Kube(crds)
    ns = kube.namespace(unique_name("chaos"))
    identity = rbac.controller_identity(crds)
    lease = unique_name("lease")

    def start_controller(name: str) -> ControllerProcess:
        process = ControllerProcess(identity, [ns], lease, tmp_path, name, workers=WORKERS)
        processes.append(process)
        return process

    first = start_controller("controller-1")
    wait_until(first.leading, SETUP_TIMEOUT, f"controller-1 to lead\n{first.tail()}")
    realm = create_ready_realm(kube, ns, endpoint, unique_name("realm"), timeout=SETUP_TIMEOUT)
    names = [f"app-{i:03d}" for i in range(KEYCLOAK_CLIENTS)]
    create_clients(kube, ns, names)
    rollout_began = timeline.mark(f"{KEYCLOAK_CLIENTS} KeycloakClients created")

    def kill_keycloak(at_least: int) -> None:
        ready = wait_for_progress(kube, ns, at_least, KEYCLOAK_CLIENTS)
        sigkill(durable_keycloak)
        timeline.mark(f"SIGKILL Keycloak ({ready}/{KEYCLOAK_CLIENTS} Ready)")
        durable_keycloak.start()  # same ports, same database
        timeline.mark(f"Keycloak up again ({durable_keycloak.startup_seconds:.0f}s to start)")

    kill_keycloak(KEYCLOAK_CLIENTS // 10)
    kill_keycloak(KEYCLOAK_CLIENTS * 3 // 10)

    ready = wait_for_progress(kube, ns, KEYCLOAK_CLIENTS // 2, KEYCLOAK_CLIENTS)
    first.kill()
    timeline.mark(f"SIGKILL controller-1 ({ready}/{KEYCLOAK_CLIENTS} Ready)")
    second = start_controller("controller-2")  # waits out controller-1's Lease
    wait_until(second.leading, SETUP_TIMEOUT, f"controller-2 to lead\n{second.tail()}")
    timeline.mark("controller-2 leads")

    kill_keycloak(KEYCLOAK_CLIENTS * 7 // 10)
    back = time.monotonic() - timeline.started  # kill_keycloak returns once it is up

    wait_until(
        lambda: ready_count(kube, ns) == KEYCLOAK_CLIENTS,
        ROLLOUT_TIMEOUT,
        f"every client Ready\n{second.tail()}",
    )
    done = timeline.mark(f"all {KEYCLOAK_CLIENTS} Ready")
    timeline.mark(
        f"converged {done - back:.1f}s after Keycloak was back the last time; "
        f"rollout took {done - rollout_began:.1f}s"
    )
    with KeycloakAdmin.with_password(
        endpoint.base_url, endpoint.admin_username, endpoint.admin_password
    ) as admin:
        assert_converged(kube, admin, realm, names)
    for process in processes:
        assert unhandled_exceptions(process) == [], process.name
        assert garbled_lines(process) == [], process.name  # every record readable
    outcomes = create_outcomes(processes)
    print_report("chaos: Keycloak x3 and the controller x1 SIGKILLed", timeline, outcomes)
    # Keycloak refused no create as a duplicate: whatever a kill left behind, the
    # controller looked before it created again (a create whose answer was lost is
    # found by its clientId on the next reconcile).
    assert outcomes["409"] == 0


def test_apiserver_restart_and_etcd_compaction_during_a_rollout(
    private_control_plane: Callable[..., ControlPlane],
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    processes: list[ControllerProcess],
    tmp_path: Path,
) -> None:
    timeline = Timeline()
    plane = private_control_plane()
    endpoint = plane.endpoint
    install_crds(endpoint)
    kube = Kube(endpoint)
    ns = kube.namespace(unique_name("chaos"))
    identity = rbac.controller_identity(endpoint)
    # Without leader election: with it, an apiserver away for longer than the renew
    # deadline (10 s; a graceful stop and start here takes about that) ends the process
    # by design (docs/leader-fencing.md), and its successor lists afresh. One process
    # that lives through the outage is what makes the informers resume, or relist.
    controller = ControllerProcess(identity, [ns], "-", tmp_path, "controller", leader_elect=False)
    processes.append(controller)
    wait_until(
        lambda: bool(controller.events("caches synced")),
        SETUP_TIMEOUT,
        f"the controller to start\n{controller.tail()}",
    )
    timeline.mark("private control plane up, controller started")
    realm = create_ready_realm(kube, ns, keycloak, unique_name("realm"), timeout=SETUP_TIMEOUT)
    try:
        names = [f"app-{i:03d}" for i in range(APISERVER_CLIENTS)]
        create_clients(kube, ns, names)
        rollout_began = timeline.mark(f"{APISERVER_CLIENTS} KeycloakClients created")

        ready = wait_for_progress(kube, ns, APISERVER_CLIENTS * 3 // 10, APISERVER_CLIENTS)
        outage_began = dt.datetime.now(dt.UTC)
        revision = restart_apiserver_with_compaction(plane)
        outage_ended = dt.datetime.now(dt.UTC)
        restarted = timeline.mark(
            f"kube-apiserver restarted, etcd compacted at revision {revision} "
            f"({ready}/{APISERVER_CLIENTS} Ready)"
        )
        kube = Kube(endpoint)

        # An edit and a new client after the compaction: the informers resumed.
        kube.patch("keycloakclients", ns, names[0], {"spec": {"name": "edited after compaction"}})
        names.append("late")
        kube.create("keycloakclients", ns, client_object("late", "realm", "late"))
        wait_until(
            lambda: ready_count(kube, ns) == len(names),
            ROLLOUT_TIMEOUT,
            f"every client Ready\n{controller.tail()}",
        )
        done = timeline.mark(f"all {len(names)} Ready")
        timeline.mark(
            f"converged {done - restarted:.1f}s after the restart; rollout took "
            f"{done - rollout_began:.1f}s"
        )
        edited = direct_admin.clients.find(realm.realm_name, names[0])
        assert edited is not None and edited.name == "edited after compaction"
        # Every watch came back to a compacted revision: the clients' informer relisted.
        relisted = {r["informer"] for r in controller.events("resourceVersion expired; relisting")}
        assert "keycloakclients.keycloak-controller.dev" in relisted, relisted
        assert_converged(kube, direct_admin, realm, names)

        # While the apiserver is away, reconciles fail on it and are requeued (logged
        # with their traceback); nothing else may have raised.
        def apiserver_unreachable(record: dict[str, Any]) -> bool:
            at = parse_time(str(record["timestamp"]))
            during = outage_began <= at <= outage_ended + OUTAGE_SLACK
            return during and str(record.get("error")).startswith(APISERVER_GONE)

        assert unhandled_exceptions(controller, apiserver_unreachable) == []
        assert garbled_lines(controller) == []  # every record readable
        outcomes = create_outcomes(processes)
        print_report("chaos: apiserver restart + etcd compaction", timeline, outcomes)
        assert outcomes["409"] == 0
    finally:
        direct_admin.realms.delete(realm.realm_name)
