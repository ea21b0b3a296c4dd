"""Two managers in two processes compete for one Lease on the real apiserver."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from kubernetes import client as k8s

from keycloak_controller.runtime.kubeapi import KubeApi
from keycloak_controller.runtime.leaderelection import LeaderElectionConfig, LeaderElector
from tests.support.controlplane import ControlPlaneEndpoint

CANDIDATE = Path(__file__).with_name("lease_candidate.py")
LEASE_DURATION, RETRY_PERIOD = 4.0, 1.0  # what lease_candidate.py configures


class Candidate:
    def __init__(self, endpoint: ControlPlaneEndpoint, ns: str, lease: str, identity: str):
        self.identity = identity
        self.leading = threading.Event()
        self.port_ready = threading.Event()
        self.port = 0
        self.process = subprocess.Popen(
            [sys.executable, str(CANDIDATE), endpoint.to_json(), ns, lease, identity],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            line = line.strip()
            if line.startswith("port="):
                self.port = int(line.removeprefix("port="))
                self.port_ready.set()
            elif line == "leading":
                self.leading.set()

    def master_status(self) -> float | None:
        text = requests.get(f"http://127.0.0.1:{self.port}/metrics", timeout=5).text
        for line in text.splitlines():
            if line.startswith("leader_election_master_status{"):
                return float(line.rsplit(" ", 1)[1])
        return None

    def ready(self) -> int:
        return requests.get(f"http://127.0.0.1:{self.port}/readyz", timeout=5).status_code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(30)


@pytest.fixture
def candidates() -> Iterator[list[Candidate]]:
    started: list[Candidate] = []
    yield started
    for candidate in started:
        candidate.kill()


def read_lease(endpoint: ControlPlaneEndpoint, ns: str, name: str) -> k8s.V1Lease:
    return k8s.CoordinationV1Api(endpoint.api_client()).read_namespaced_lease(name, ns)


def test_exactly_one_leads_failover_and_release(
    rt: SimpleNamespace,
    control_plane: ControlPlaneEndpoint,
    namespace: str,
    unique_name: Callable[[str], str],
    candidates: list[Candidate],
) -> None:
    lease = unique_name("lease")
    a = Candidate(control_plane, namespace, lease, "candidate-a")
    b = Candidate(control_plane, namespace, lease, "candidate-b")
    candidates += [a, b]
    assert a.port_ready.wait(60) and b.port_ready.wait(60)
    rt.wait_until(lambda: a.leading.is_set() or b.leading.is_set(), 60, "a leader")
    leader, standby = (a, b) if a.leading.is_set() else (b, a)

    # Exactly one leads: the Lease, the stdout announcements and the metric agree.
    record = read_lease(control_plane, namespace, lease).spec
    assert record.holder_identity == leader.identity
    assert leader.master_status() == 1.0
    assert standby.master_status() == 0.0
    assert not standby.leading.is_set()
    assert standby.ready() == 200  # a warm standby is ready
    transitions_before = record.lease_transitions or 0

    # Kill -9 the leader: the standby takes over within lease duration + retry (+ jitter).
    leader.kill()
    # Bound: lease duration + two jittered retry periods, plus slack for a loaded box.
    assert standby.leading.wait(LEASE_DURATION + 2 * RETRY_PERIOD * 2.2 + 6.0)
    record = read_lease(control_plane, namespace, lease).spec
    assert record.holder_identity == standby.identity
    assert (record.lease_transitions or 0) == transitions_before + 1

    # A gracefully stopped leader releases the Lease and exits 0.
    standby.process.send_signal(signal.SIGTERM)
    assert standby.process.wait(60) == 0
    record = read_lease(control_plane, namespace, lease).spec
    assert record.holder_identity in ("", None)
    assert record.lease_duration_seconds == 1


def test_renew_failure_stops_work_and_calls_on_lost(
    private_control_plane: Callable[..., object],
    unique_name: Callable[[str], str],
    rt: SimpleNamespace,
) -> None:
    plane = private_control_plane()
    endpoint: ControlPlaneEndpoint = plane.endpoint  # type: ignore[attr-defined]
    ns = unique_name("lost")
    rt.make_namespace(endpoint, ns)
    started, stopped, lost = threading.Event(), threading.Event(), threading.Event()
    elector = LeaderElector(
        KubeApi(endpoint.api_client()),
        LeaderElectionConfig("lease", ns, "me", lease_duration=4, renew_deadline=3, retry_period=1),
        on_started_leading=started.set,
        on_stopped_leading=stopped.set,
        on_lost=lost.set,
    )
    elector.start()
    try:
        assert started.wait(30)
        plane.stop_apiserver()  # type: ignore[attr-defined]
        assert lost.wait(60)
        assert stopped.is_set()  # work was stopped before the exit callback
        assert not elector.is_leader
    finally:
        elector.stop()
