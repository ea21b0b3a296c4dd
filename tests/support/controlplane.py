"""A real etcd and kube-apiserver on loopback, with RBAC and TLS, like envtest."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import requests
from kubernetes import client as k8s

from . import certs as pki
from .config import kube_binaries
from .process import ServerProcess, free_port

_START_TIMEOUT = 90.0


@dataclass(frozen=True)
class ControlPlaneEndpoint:
    """How to reach a running control plane; JSON-serialisable for other processes."""

    host: str
    kubeconfig: str
    ca_cert: str
    admin_cert: str
    admin_key: str
    etcd_url: str
    log_dir: str

    def api_client(self, *, qps_pool: int = 32) -> k8s.ApiClient:
        """A fresh admin ApiClient (the generated client promises no thread safety)."""
        configuration = k8s.Configuration()
        configuration.host = self.host
        configuration.ssl_ca_cert = self.ca_cert
        configuration.cert_file = self.admin_cert
        configuration.key_file = self.admin_key
        configuration.connection_pool_maxsize = qps_pool
        return k8s.ApiClient(configuration)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ControlPlaneEndpoint:
        return cls(**json.loads(text))


class ControlPlane:
    """etcd plus kube-apiserver in `workdir`; logs in `workdir/logs`."""

    def __init__(self, workdir: Path, *, extra_apiserver_args: Sequence[str] = ()) -> None:
        self.workdir = workdir
        self.log_dir = workdir / "logs"
        self.extra_apiserver_args = list(extra_apiserver_args)
        self.binaries = kube_binaries()
        self.etcd_port = free_port()
        self.apiserver_port = free_port()
        self.certs: pki.ControlPlaneCerts | None = None
        self.etcd: ServerProcess | None = None
        self.apiserver: ServerProcess | None = None
        self.startup_seconds: dict[str, float] = {}

    @property
    def etcd_url(self) -> str:
        return f"http://127.0.0.1:{self.etcd_port}"

    @property
    def host(self) -> str:
        return f"https://127.0.0.1:{self.apiserver_port}"

    @property
    def endpoint(self) -> ControlPlaneEndpoint:
        assert self.certs is not None, "start() first"
        return ControlPlaneEndpoint(
            host=self.host,
            kubeconfig=str(self.workdir / "kubeconfig"),
            ca_cert=str(self.certs.ca_cert),
            admin_cert=str(self.certs.admin_cert),
            admin_key=str(self.certs.admin_key),
            etcd_url=self.etcd_url,
            log_dir=str(self.log_dir),
        )

    def start(self) -> ControlPlaneEndpoint:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.certs = pki.generate(self.workdir / "pki")
        self._start_etcd()
        self.start_apiserver()
        self._write_kubeconfig()
        return self.endpoint

    def stop(self) -> None:
        for process in (self.apiserver, self.etcd):
            if process is not None:
                process.stop()

    def _start_etcd(self) -> None:
        peer = f"http://127.0.0.1:{free_port()}"
        self.etcd = ServerProcess(
            "etcd",
            [
                str(self.binaries.etcd),
                "--name=etcd0",
                f"--data-dir={self.workdir / 'etcd'}",
                f"--listen-client-urls={self.etcd_url}",
                f"--advertise-client-urls={self.etcd_url}",
                f"--listen-peer-urls={peer}",
                f"--initial-advertise-peer-urls={peer}",
                f"--initial-cluster=etcd0={peer}",
                # Test data is thrown away; durability is not worth the fsyncs.
                "--unsafe-no-fsync=true",
                "--log-level=warn",
            ],
            self.log_dir / "etcd.log",
        )
        self.etcd.start()
        self.startup_seconds["etcd"] = self.etcd.wait_ready(
            lambda: requests.get(f"{self.etcd_url}/health", timeout=2).ok, timeout=_START_TIMEOUT
        )

    def start_apiserver(self) -> None:
        """Start (or start again, on the same port) the kube-apiserver."""
        assert self.certs is not None
        c = self.certs
        self.apiserver = ServerProcess(
            "kube-apiserver",
            [
                str(self.binaries.kube_apiserver),
                f"--etcd-servers={self.etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={self.apiserver_port}",
                f"--cert-dir={self.workdir / 'apiserver-certs'}",
                f"--tls-cert-file={c.serving_cert}",
                f"--tls-private-key-file={c.serving_key}",
                f"--client-ca-file={c.ca_cert}",
                f"--service-account-key-file={c.sa_public_key}",
                f"--service-account-signing-key-file={c.sa_private_key}",
                f"--service-account-issuer={self.host}",
                "--authorization-mode=RBAC",
                "--service-cluster-ip-range=10.0.0.0/24",
                "--allow-privileged=true",
                # No controller-manager creates default ServiceAccounts here.
                "--disable-admission-plugins=ServiceAccount",
                *self.extra_apiserver_args,
            ],
            self.log_dir / "kube-apiserver.log",
        )
        self.apiserver.start()
        self.startup_seconds["kube-apiserver"] = self.apiserver.wait_ready(
            self._apiserver_ready, timeout=_START_TIMEOUT
        )

    def stop_apiserver(self) -> None:
        if self.apiserver is not None:
            self.apiserver.stop()

    def restart_apiserver(self) -> None:
        self.stop_apiserver()
        self.start_apiserver()

    def _apiserver_ready(self) -> bool:
        assert self.certs is not None
        response = requests.get(
            f"{self.host}/readyz",
            cert=(str(self.certs.admin_cert), str(self.certs.admin_key)),
            verify=str(self.certs.ca_cert),
            timeout=2,
        )
        return response.status_code == 200

    def compact_etcd(self) -> int:
        """Compact etcd at its current revision (through etcd's JSON gateway)."""
        head = requests.post(f"{self.etcd_url}/v3/kv/range", json={"key": "AA=="}, timeout=5)
        head.raise_for_status()
        revision = int(head.json()["header"]["revision"])
        done = requests.post(
            f"{self.etcd_url}/v3/kv/compaction",
            json={"revision": revision, "physical": True},
            timeout=30,
        )
        done.raise_for_status()
        return revision

    def _write_kubeconfig(self) -> None:
        assert self.certs is not None
        # kubectl reads JSON kubeconfigs as well as YAML ones.
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "local",
                    "cluster": {
                        "server": self.host,
                        "certificate-authority": str(self.certs.ca_cert),
                    },
                }
            ],
            "users": [
                {
                    "name": "admin",
                    "user": {
                        "client-certificate": str(self.certs.admin_cert),
                        "client-key": str(self.certs.admin_key),
                    },
                }
            ],
            "contexts": [{"name": "local", "context": {"cluster": "local", "user": "admin"}}],
            "current-context": "local",
        }
        (self.workdir / "kubeconfig").write_text(json.dumps(config, indent=2))


def wait_for_default_namespace(endpoint: ControlPlaneEndpoint, timeout: float = 30.0) -> None:
    """The apiserver creates `default` shortly after /readyz; tests assume it."""
    api = k8s.CoreV1Api(endpoint.api_client())
    deadline = time.monotonic() + timeout
    while True:
        try:
            api.read_namespace("default")
            return
        except k8s.ApiException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
