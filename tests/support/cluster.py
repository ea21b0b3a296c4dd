"""A simulated cluster for managed mode: the real control plane plus KWOK's fake nodes.

etcd and kube-apiserver as in `controlplane.py` (its own instance, so the shared
control plane of the other tests stays untouched), plus the real
kube-controller-manager (StatefulSet controller, garbage collector, endpoints),
the real kube-scheduler (binds Pods to nodes) and KWOK's `kwok` controller,
which plays the kubelet for nodes annotated `kwok.x-k8s.io/node: fake`: it
marks their Pods Running and Ready without running any container. So a
StatefulSet rolls out for real, and a test can watch its Pods being created,
scheduled, updated and garbage-collected.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import requests
import urllib3
from kubernetes import client as k8s

from .config import ProvisioningError, cache_root, kube_binaries, pinned_versions
from .controlplane import ControlPlane, ControlPlaneEndpoint, wait_for_default_namespace
from .process import ServerProcess, free_port

FAKE_NODE_ANNOTATION = "kwok.x-k8s.io/node"
_START_TIMEOUT = 90.0
_NODES = 3


def kwok_files() -> tuple[Path, Path]:
    """The kwok binary and its stages (hack/build-kwok.sh puts both in the cache)."""
    version = pinned_versions()["KWOK_VERSION"]
    root = cache_root() / "kwok" / version
    binary, stages = root / "bin" / "kwok", root / "stages.yaml"
    for path in (binary, stages):
        if not path.is_file():
            raise ProvisioningError(f"{path} is missing; run `make provision` (hack/build-kwok.sh)")
    return binary, stages


def _healthy(url: str) -> bool:
    """/healthz of a component on loopback; their serving certificates are self-signed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        return requests.get(url, verify=False, timeout=2).status_code == 200  # noqa: S501


class SimulatedCluster:
    """etcd + kube-apiserver + kube-controller-manager + kube-scheduler + kwok in `workdir`."""

    def __init__(self, workdir: Path, nodes: int = _NODES) -> None:
        self.workdir = workdir
        self.nodes = nodes
        self.plane = ControlPlane(workdir)
        bin_dir = kube_binaries().kube_apiserver.parent
        self.controller_manager_binary = bin_dir / "kube-controller-manager"
        self.scheduler_binary = bin_dir / "kube-scheduler"
        self.kwok_binary, self.kwok_stages = kwok_files()
        self.processes: list[ServerProcess] = []
        self.startup_seconds: dict[str, float] = {}

    @property
    def pids(self) -> list[int]:
        found = [p.pid for p in (self.plane.etcd, self.plane.apiserver) if p and p.pid]
        return found + [p.pid for p in self.processes if p.pid]

    def start(self) -> ControlPlaneEndpoint:
        # Always a new cluster: data left by an earlier start (the same run directory)
        # would bring back its nodes and objects.
        shutil.rmtree(self.workdir / "etcd", ignore_errors=True)
        endpoint = self.plane.start()
        wait_for_default_namespace(endpoint)
        kubeconfig = endpoint.kubeconfig
        certs = self.plane.certs
        assert certs is not None
        logs = self.workdir / "logs"
        manager_port = free_port()
        self._start(
            "kube-controller-manager",
            [
                str(self.controller_manager_binary),
                f"--kubeconfig={kubeconfig}",
                f"--authentication-kubeconfig={kubeconfig}",
                f"--authorization-kubeconfig={kubeconfig}",
                "--bind-address=127.0.0.1",
                f"--secure-port={manager_port}",
                "--leader-elect=false",
                f"--root-ca-file={certs.ca_cert}",
                f"--service-account-private-key-file={certs.sa_private_key}",
                # The Pods' IPs come from kwok, not from node CIDRs.
                "--allocate-node-cidrs=false",
                # Fast GC and StatefulSet reactions; no throttling towards a test apiserver.
                "--kube-api-qps=500",
                "--kube-api-burst=1000",
                "--concurrent-gc-syncs=5",
            ],
            logs / "kube-controller-manager.log",
            f"https://127.0.0.1:{manager_port}/healthz",
        )
        scheduler_port = free_port()
        self._start(
            "kube-scheduler",
            [
                str(self.scheduler_binary),
                f"--kubeconfig={kubeconfig}",
                f"--authentication-kubeconfig={kubeconfig}",
                f"--authorization-kubeconfig={kubeconfig}",
                "--bind-address=127.0.0.1",
                f"--secure-port={scheduler_port}",
                "--leader-elect=false",
            ],
            logs / "kube-scheduler.log",
            f"https://127.0.0.1:{scheduler_port}/healthz",
        )
        kwok_port = free_port()
        self._start(
            "kwok",
            [
                str(self.kwok_binary),
                f"--kubeconfig={kubeconfig}",
                f"--config={self.kwok_stages}",
                f"--manage-nodes-with-annotation-selector={FAKE_NODE_ANNOTATION}=fake",
                f"--server-address=127.0.0.1:{kwok_port}",
                "--node-ip=127.0.0.1",
                # Pod IPs from TEST-NET-2, never a real address (no traffic goes there).
                "--cidr=198.51.100.0/24",
            ],
            logs / "kwok.log",
            f"http://127.0.0.1:{kwok_port}/healthz",
        )
        self._create_nodes(endpoint)
        return endpoint

    def _start(self, name: str, command: list[str], log: Path, health: str) -> None:
        process = ServerProcess(name, command, log)
        self.processes.append(process)
        process.start()
        self.startup_seconds[name] = process.wait_ready(
            lambda: _healthy(health), timeout=_START_TIMEOUT
        )

    def _create_nodes(self, endpoint: ControlPlaneEndpoint) -> None:
        core = k8s.CoreV1Api(endpoint.api_client())
        for index in range(self.nodes):
            name = f"kwok-node-{index}"
            core.create_node(
                {  # type: ignore[arg-type]
                    "apiVersion": "v1",
                    "kind": "Node",
                    "metadata": {
                        "name": name,
                        "annotations": {FAKE_NODE_ANNOTATION: "fake"},
                        "labels": {
                            "kubernetes.io/hostname": name,
                            "kubernetes.io/os": "linux",
                            "type": "kwok",
                            "topology.kubernetes.io/zone": f"zone-{index % 2}",
                        },
                    },
                    "spec": {},
                    "status": {
                        "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                        "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                    },
                }
            )

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.plane.stop()
