"""Leader takeover and fencing with two real `keycloak-controller run` processes.

Both run as the deploy/default ServiceAccount on one Lease with the default
lease settings (15 s lease, 10 s renew deadline, 2 s retry), against the shared
control plane and Keycloak, and log JSON. What each process wrote to Keycloak is
read back from its own audit trail (runtime/audit.py), which is what proves
that no two processes wrote at once:

- every write of the new leader starts after the old leader was killed, hence
  after the last write the old leader could still have had on the wire;
- the new leader took over no earlier than a full lease duration after the old
  leader's last renewal (the Lease's renewTime, read after the kill), and the
  old leader's fence shuts 5 s before that (renew deadline < lease duration);
- each process's writes carry its own Lease holder identity, and no write of
  the standby appears before it became leader.

Also: a leader whose Lease is taken by hand, one whose renewals the apiserver
refuses, and one frozen (SIGSTOP) through a takeover, each read from its trail.

The takeover time (SIGKILL to the new leader's first write) is printed; its
figure belongs to `bench/leader_takeover.py`, here it has only a failure bound.
"""

from __future__ import annotations

import datetime as dt
import itertools
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client as k8s

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.runtime import audit
from keycloak_controller.runtime.leaderelection import LeaderElectionConfig
from tests.support import rbac
from tests.support.controller_harness import Kube, ReadyRealm, client_object, wait_until
from tests.support.controller_process import ControllerProcess, LogRecord, parse_time
from tests.support.controlplane import ControlPlaneEndpoint

CLIENTS = 30
TIMEOUT = 120.0  # failure bounds only
DEFAULTS = LeaderElectionConfig("-", "-", "-")  # what the CLI runs with
LEASE_DURATION = dt.timedelta(seconds=DEFAULTS.lease_duration)
RENEW_DEADLINE = dt.timedelta(seconds=DEFAULTS.renew_deadline)
STAMP_SLACK = dt.timedelta(milliseconds=50)
LEASE_BINDING = "keycloak-controller-leader-election"  # deploy/base/leader-election-rbac.yaml


@pytest.fixture
def processes() -> Iterator[list[ControllerProcess]]:
    started: list[ControllerProcess] = []
    yield started
    for process in started:
        process.kill()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def read_lease(
    endpoint: ControlPlaneEndpoint, name: str, namespace: str = rbac.SYSTEM_NAMESPACE
) -> k8s.V1Lease:
    api = k8s.CoordinationV1Api(endpoint.api_client())
    return api.read_namespaced_lease(name, namespace)


def renew_time(lease: k8s.V1Lease) -> dt.datetime:
    renewed = lease.spec.renew_time
    return renewed if isinstance(renewed, dt.datetime) else parse_time(str(renewed))


def client_writes(process: ControllerProcess) -> list[LogRecord]:
    return [w for w in process.writes() if w["cr_kind"] == "KeycloakClient"]


def start_leader_and_standby(
    endpoint: ControlPlaneEndpoint, ns: str, lease: str, workdir: Path
) -> tuple[ControllerProcess, ControllerProcess]:
    identity = rbac.controller_identity(endpoint)
    first = ControllerProcess(identity, [ns], lease, workdir, "a")
    wait_until(first.leading, TIMEOUT, f"process a to lead\n{first.tail()}")
    second = ControllerProcess(identity, [ns], lease, workdir, "b")
    return first, second


def assert_rollout_done(
    kube: Kube, admin: KeycloakAdmin, realm: ReadyRealm, names: list[str]
) -> None:
    ns = realm.namespace
    for name in names:
        wait_until(lambda n=name: kube.is_ready("keycloakclients", ns, n), TIMEOUT, f"{name} Ready")
    for name in names:
        found = admin.clients.find(realm.realm_name, name)
        assert found is not None and found.id, name
        cr = kube.get("keycloakclients", ns, name) or {}
        assert cr["status"]["clientUuid"] == found.id
        secret = kube.secret_data(ns, f"{name}-credentials")
        assert secret is not None, name
        assert secret["client-secret"] == admin.clients.get_secret(realm.realm_name, found.id).value
    assert len([c for c in admin.clients.list(realm.realm_name) if c.client_id in names]) == len(
        names
    )


def test_sigkilled_leader_is_replaced_and_the_two_never_write_at_once(
    crds: ControlPlaneEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
    processes: list[ControllerProcess],
    tmp_path: Path,
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("fence"))
    lease = unique_name("lease")
    a, b = start_leader_and_standby(crds, ns, lease, tmp_path)
    processes.extend([a, b])
    realm = ready_realm(ns)
    wait_until(lambda: b.alive() and "caches synced" in b.log_path.read_text(), TIMEOUT, "b warm")
    assert not b.leading()

    names = [f"app-{i:02d}" for i in range(CLIENTS)]
    for name in names:
        kube.create("keycloakclients", ns, client_object(name, "realm", name))
    wait_until(lambda: len(client_writes(a)) >= 3, TIMEOUT, "a writing the clients")
    a.kill()
    killed_at = now()
    last_renewal = renew_time(read_lease(crds, lease))  # a is dead: this is its last one
    ready_at_kill = sum(kube.is_ready("keycloakclients", ns, n) for n in names)

    wait_until(b.leading, TIMEOUT, f"b to take over\n{b.tail()}")
    assert_rollout_done(kube, direct_admin, realm, names)

    a_writes, b_writes = a.writes(), b.writes()
    (took_over,) = b.events("became leader")
    assert a.identity and b.identity and a.identity != b.identity
    assert read_lease(crds, lease).spec.holder_identity == b.identity
    # Each process writes as its own Lease identity, and only while it leads.
    assert a_writes and {w["leader"] for w in a_writes} == {a.identity}
    assert b_writes and {w["leader"] for w in b_writes} == {b.identity}
    assert all(w.at >= took_over.at for w in b_writes)
    # The old leader's writes, whatever was still on the wire, ended when it died;
    # every write of the new one started after that.
    assert max(r.at for r in a.records()) <= killed_at
    assert min(w.at for w in b_writes) > killed_at
    # The lease held: b led no earlier than a lease duration after a's last renewal,
    # and a never started a write after its own renew deadline.
    assert took_over.at >= last_renewal + LEASE_DURATION
    assert all(w.at < last_renewal + RENEW_DEADLINE for w in a_writes)
    # The rollout really was in flight: b finished it, with writes of its own.
    assert client_writes(b), "a had finished the rollout before it was killed"
    assert all(w["change"] and w["cr_namespace"] == ns for w in client_writes(a) + client_writes(b))

    first_write = min(w.at for w in b_writes)
    print(
        f"\ntakeover: SIGKILL -> b leads {(took_over.at - killed_at).total_seconds():.2f}s, "
        f"-> b's first Keycloak write {(first_write - killed_at).total_seconds():.2f}s; "
        f"{ready_at_kill}/{CLIENTS} clients were Ready at the kill, a wrote {len(a_writes)}, "
        f"b wrote {len(b_writes)}"
    )


def test_a_leader_whose_lease_is_taken_stops_writing_before_it_could_expire(
    crds: ControlPlaneEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
    processes: list[ControllerProcess],
    tmp_path: Path,
) -> None:
    """The Lease is handed to another identity by hand while the leader is mid-rollout."""
    kube = Kube(crds)
    ns = kube.namespace(unique_name("fence"))
    lease = unique_name("lease")
    a, b = start_leader_and_standby(crds, ns, lease, tmp_path)
    processes.extend([a, b])
    realm = ready_realm(ns)

    names = [f"app-{i:02d}" for i in range(CLIENTS)]
    for name in names:
        kube.create("keycloakclients", ns, client_object(name, "realm", name))
    wait_until(lambda: len(client_writes(a)) >= 3, TIMEOUT, "a writing the clients")
    coordination = k8s.CoordinationV1Api(crds.api_client())
    taken = read_lease(crds, lease)
    assert taken.spec.holder_identity == a.identity
    # Replace a's record at the resourceVersion read, so a's last renewal is the one we
    # replaced; a conflict (a renewed in between) fails the test instead of guessing.
    taken.spec.holder_identity = "someone-else"
    edited_at = now()  # before the write, so every "after the edit" below is conservative
    coordination.replace_namespaced_lease(lease, rbac.SYSTEM_NAMESPACE, taken)
    last_renewal = renew_time(taken)

    wait_until(lambda: not a.alive(), TIMEOUT, f"a to give up\n{a.tail()}")
    exited_at = now()
    assert a.process.returncode == 1  # loss of leadership ends the process
    lost = a.events("leader election lost")
    assert lost and lost[0].at < last_renewal + LEASE_DURATION
    assert exited_at < last_renewal + LEASE_DURATION, "a outlived the lease it held"
    a_writes = a.writes()
    assert a_writes and all(w.at < last_renewal + RENEW_DEADLINE for w in a_writes)
    # Nothing started once it knew (a record is stamped just after its fence check).
    assert all(w.at < lost[0].at + STAMP_SLACK for w in a_writes)
    late = [w for w in a_writes if w.at > edited_at]
    print(
        f"\nfence: the Lease was taken {(edited_at - last_renewal).total_seconds():.2f}s after "
        f"a's last renewal; a saw it {(lost[0].at - edited_at).total_seconds():.2f}s later and "
        f"exited {(exited_at - edited_at).total_seconds():.2f}s after the edit; {len(late)} of "
        f"its {len(a_writes)} writes started after the edit, before its next renewal showed "
        "the Lease taken"
    )

    # The standby waits out the stranger's lease, then finishes the rollout.
    wait_until(b.leading, TIMEOUT, f"b to take over\n{b.tail()}")
    (took_over,) = b.events("became leader")
    assert took_over.at >= edited_at + LEASE_DURATION
    assert all(w.at > exited_at for w in b.writes())
    assert_rollout_done(kube, direct_admin, realm, names)


def test_a_leader_that_cannot_renew_stops_writing_before_its_lease_can_expire(
    crds: ControlPlaneEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
    processes: list[ControllerProcess],
    tmp_path: Path,
) -> None:
    """Mid-rollout the apiserver starts refusing the leader's renewals (its Role on Leases
    is unbound), while everything else it does still works: it gives up by its renew
    deadline, and its audit trail shows no write started after that deadline.

    The controller runs as deploy/namespaced in a namespace of its own, so taking its
    Lease permission away touches no other test's controller.
    """
    kube = Kube(crds)
    ns = unique_name("fence")
    identity = rbac.namespaced_identity(crds, ns)  # creates `ns`
    lease = unique_name("lease")
    # One worker and many clients: the rollout outlasts the renew deadline by far.
    a = ControllerProcess(identity, [ns], lease, tmp_path, "a", workers=1, lease_namespace=ns)
    processes.append(a)
    wait_until(a.leading, TIMEOUT, f"process a to lead\n{a.tail()}")
    realm = ready_realm(ns)
    names = [f"app-{i:02d}" for i in range(3 * CLIENTS)]
    for name in names:
        kube.create("keycloakclients", ns, client_object(name, "realm", name))
    wait_until(lambda: len(client_writes(a)) >= 3, TIMEOUT, "a writing the clients")

    rbac_api = k8s.RbacAuthorizationV1Api(crds.api_client())
    binding = rbac_api.read_namespaced_role_binding(LEASE_BINDING, ns)
    cut_at = now()
    rbac_api.delete_namespaced_role_binding(LEASE_BINDING, ns)
    # New clients keep arriving until a is gone, so it always has work left when its
    # fence shuts, however fast this machine finishes the first batch.
    stop_feeding = threading.Event()

    def feed() -> None:
        for i in itertools.count():
            if stop_feeding.wait(0.25):
                return
            # A burst each time, more than one worker gets through in 0.25 s, so the
            # backlog grows however fast this machine reconciles.
            for j in range(10):
                name = f"late-{i:03d}-{j}"
                kube.create("keycloakclients", ns, client_object(name, "realm", name))
                names.append(name)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        wait_until(lambda: not a.alive(), TIMEOUT, f"a to give up\n{a.tail()}")
    finally:
        stop_feeding.set()
        feeder.join(timeout=30)
    exited_at = now()
    last_renewal = renew_time(read_lease(crds, lease, ns))  # a is gone: its last renewal

    assert a.process.returncode == 1  # loss of leadership ends the process
    (lost,) = a.events("leader election lost")
    assert lost.at < last_renewal + RENEW_DEADLINE  # gave up by the deadline...
    assert exited_at < last_renewal + LEASE_DURATION  # ...and was gone before the lease was
    a_writes = a.writes()
    assert all(w.at < last_renewal + RENEW_DEADLINE for w in a_writes)
    after_cut = [w for w in a_writes if w.at > cut_at]
    assert after_cut, "a had no writes left to make once its renewals failed"
    ready_at_exit = sum(kube.is_ready("keycloakclients", ns, n) for n in names)
    assert ready_at_exit < len(names), "the rollout was over before a gave up"
    print(
        f"\ncannot renew: a gave up {(lost.at - last_renewal).total_seconds():.2f}s after its "
        f"last renewal (deadline {RENEW_DEADLINE.total_seconds():.0f}s, lease "
        f"{LEASE_DURATION.total_seconds():.0f}s), wrote {len(after_cut)} times after the cut, "
        f"the last {(max(w.at for w in a_writes) - last_renewal).total_seconds():.2f}s after "
        f"its last renewal; {ready_at_exit}/{len(names)} clients were Ready"
    )

    # Permission back: a second process waits out a's lease and finishes the rollout.
    binding.metadata = k8s.V1ObjectMeta(name=LEASE_BINDING, labels=binding.metadata.labels)
    rbac_api.create_namespaced_role_binding(ns, binding)
    b = ControllerProcess(identity, [ns], lease, tmp_path, "b", lease_namespace=ns)
    processes.append(b)
    wait_until(b.leading, TIMEOUT, f"b to take over\n{b.tail()}")
    (took_over,) = b.events("became leader")
    assert took_over.at >= last_renewal + LEASE_DURATION
    assert_rollout_done(kube, direct_admin, realm, names)


def test_a_paused_leader_writes_nothing_when_it_wakes_after_a_takeover(
    crds: ControlPlaneEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
    processes: list[ControllerProcess],
    tmp_path: Path,
) -> None:
    """The case client-go does not fence: the leader is frozen (SIGSTOP) mid-rollout,
    long enough for the standby to take over and write, then thawed with its
    reconciles half done. It starts no write after waking, gives up and exits."""
    kube = Kube(crds)
    ns = kube.namespace(unique_name("fence"))
    lease = unique_name("lease")
    a, b = start_leader_and_standby(crds, ns, lease, tmp_path)
    processes.extend([a, b])
    realm = ready_realm(ns)
    wait_until(lambda: "caches synced" in b.log_path.read_text(), TIMEOUT, "b warm")
    names = [f"app-{i:02d}" for i in range(CLIENTS)]
    for name in names:
        kube.create("keycloakclients", ns, client_object(name, "realm", name))
    wait_until(lambda: len(client_writes(a)) >= 3, TIMEOUT, "a writing the clients")

    a.process.send_signal(signal.SIGSTOP)
    paused_at = now()
    wait_until(b.leading, TIMEOUT, f"b to take over\n{b.tail()}")
    wait_until(lambda: len(b.writes()) >= 3, TIMEOUT, "b writing the clients")
    resumed_at = now()
    a.process.send_signal(signal.SIGCONT)
    wait_until(lambda: not a.alive(), TIMEOUT, f"a to give up\n{a.tail()}")

    assert a.process.returncode == 1
    (took_over,) = b.events("became leader")
    a_writes = a.writes()
    assert a_writes and all(w.at < paused_at for w in a_writes)  # none after it woke
    assert all(w.at < took_over.at for w in a_writes)
    refused = a.events(audit.WRITE_REFUSED)
    assert all(r.at >= resumed_at for r in refused)
    assert all(w["leader"] == b.identity for w in b.writes())
    print(
        f"\npaused leader: frozen {(resumed_at - paused_at).total_seconds():.1f}s; on waking it "
        f"refused {len(refused)} write(s) its reconciles still tried and exited"
    )
    assert_rollout_done(kube, direct_admin, realm, names)
