"""Controller benchmark against a private real kube-apiserver and Keycloak.

Run: .venv/bin/python bench/keycloak_bench.py [--sizes 100,500,1000] [--quick]

Starts its own etcd + kube-apiserver and Keycloak (canonical version) in a fresh
directory, so nothing else on the machine is touched, and runs the controller as
a separate process (`python -m keycloak_controller.cli run`), reading its
/metrics for Keycloak request counts and /proc for RSS and CPU. Every comparison
is made inside one run, because the machine is shared and noisy.

Measures (see the README's Performance section for the targets):
1. cold convergence of N confidential KeycloakClients across 5 realms in one
   namespace, applied at once, until all are Ready; and the floor: a minimal
   script reaching the same end state directly (create each client through the
   Admin API, read its secret, create the Kubernetes Secret) with the best
   concurrency found by a short calibration; ratio controller/floor;
2. drift resync with N in sync: a full resync forced by touching the 5 realms
   (each realm change requeues all its clients); Keycloak reads and writes,
   wall time, reads per object;
3. edit latency with the largest N managed: 50 CRs changed one after another,
   apply -> Ready at the new generation, p50/p99;
4. controller RSS with the largest N and with --rss-objects CRs (real clients,
   more of the same), and CPU seconds per hour when idle and for resync waves;
5. restart with the largest N in sync: time until every object has been
   reconciled again, Keycloak writes and CR writes (expect 0).
Prints a table and writes JSON to bench/results/<timestamp>.json.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families

# tests.support (the real components) is not installed; it lives in the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from keycloak_controller.api.client import KeycloakClientSpec
from keycloak_controller.controllers import client_plan
from keycloak_controller.controllers.finalizer import FINALIZER
from keycloak_controller.controllers.ownership import Owner
from keycloak_controller.keycloak.resources.base import to_json
from keycloak_controller.keycloak.secrets import Secret
from tests.support.config import canonical_keycloak_version
from tests.support.controller_harness import (
    client_object,
    keycloak_object,
    realm_object,
)
from tests.support.controlplane import (
    ControlPlane,
    ControlPlaneEndpoint,
    wait_for_default_namespace,
)
from tests.support.crds import install_crds
from tests.support.keycloak_server import KeycloakEndpoint, KeycloakServer
from tests.support.process import free_port, terminate_group
from tests.support.rbac import controller_identity

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
GROUP = "keycloak-controller.dev"
VERSION = "v1alpha1"
REALMS = 5
CLK_TCK = os.sysconf("SC_CLK_TCK")
CONTROLLER_ENV: dict[str, str] = {}  # --controller-env KEY=VALUE


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    # nearest-rank
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 1))))
    return ordered[rank - 1]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def process_cpu_seconds(pid: int, tree: dict[int, list[int]] | None = None) -> float:
    """User + system CPU of `pid` and every live descendant (Keycloak runs under kc.sh)."""
    tree = _children() if tree is None else tree  # {}: the process alone
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        todo.extend(tree.get(current, ()))
    return total


class CpuMeter:
    """CPU seconds per process between two points: where a phase's two cores went.

    `trees` names the processes counted with their descendants (Keycloak's JVM runs
    under kc.sh); the others count alone (the bench's children are the servers)."""

    def __init__(self, pids: dict[str, int], trees: frozenset[str] = frozenset()) -> None:
        self.pids = pids
        self.trees = trees

    def snapshot(self) -> dict[str, float]:
        tree = _children()
        return {
            name: process_cpu_seconds(pid, tree if name in self.trees else {})
            for name, pid in self.pids.items()
        }

    @staticmethod
    def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {k: round(after[k] - before.get(k, 0.0), 1) for k in after}


# --- Kubernetes over plain HTTP (thread-local sessions) ------------------------------------


class Kube:
    def __init__(self, endpoint: ControlPlaneEndpoint) -> None:
        self.endpoint = endpoint
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.cert = (self.endpoint.admin_cert, self.endpoint.admin_key)
            session.verify = self.endpoint.ca_cert
            self._local.session = session
        return session

    def url(self, path: str) -> str:
        return self.endpoint.host + path

    def request(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        headers = {}
        if method == "PATCH":
            headers["Content-Type"] = "application/merge-patch+json"
        response = self.session.request(
            method,
            self.url(path),
            json=body,
            headers=headers,
            timeout=60,
            verify=self.endpoint.ca_cert,
            **kwargs,
        )
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    @staticmethod
    def custom(namespace: str, plural: str, name: str = "") -> str:
        path = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{plural}"
        return f"{path}/{name}" if name else path

    def namespace(self, name: str) -> None:
        self.request("POST", "/api/v1/namespaces", {"metadata": {"name": name}})

    def secret(self, namespace: str, name: str, data: dict[str, str]) -> None:
        encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
        body = {"metadata": {"name": name}, "type": "Opaque", "data": encoded}
        self.request("POST", f"/api/v1/namespaces/{namespace}/secrets", body)

    def create(self, namespace: str, plural: str, body: dict[str, Any]) -> None:
        self.request("POST", self.custom(namespace, plural), body)

    def get(self, namespace: str, plural: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", self.custom(namespace, plural, name))
        return result

    def patch(self, namespace: str, plural: str, name: str, body: dict[str, Any]) -> Any:
        return self.request("PATCH", self.custom(namespace, plural, name), body)


def is_ready(obj: dict[str, Any]) -> bool:
    generation = (obj.get("metadata") or {}).get("generation")
    status = obj.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    return bool(
        ready
        and ready.get("status") == "True"
        and ready.get("observedGeneration") == generation
        and status.get("observedGeneration") == generation
    )


class ReadyTracker:
    """Watches one namespace's KeycloakClients: when each was first Ready at each generation,
    and how many times each was written (MODIFIED events)."""

    def __init__(self, kube: Kube, namespace: str) -> None:
        self.kube = kube
        self.namespace = namespace
        self.lock = threading.Condition()
        self.ready_at: dict[tuple[str, int], float] = {}
        self.generation: dict[str, int] = {}
        self.modified = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._session = requests.Session()
        self._session.cert = (kube.endpoint.admin_cert, kube.endpoint.admin_key)
        self._session.verify = kube.endpoint.ca_cert

    def start(self) -> ReadyTracker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._session.close()

    def _see(self, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        name, generation = str(meta.get("name")), int(meta.get("generation") or 0)
        with self.lock:
            self.generation[name] = generation
            if is_ready(obj) and (name, generation) not in self.ready_at:
                self.ready_at[(name, generation)] = time.monotonic()
                self.lock.notify_all()

    def _run(self) -> None:
        path = Kube.custom(self.namespace, "keycloakclients")
        rv = ""
        while not self._stop.is_set():
            try:
                if not rv:
                    listing = self.kube.request("GET", path)
                    for item in listing.get("items") or []:
                        self._see(item)
                    rv = listing["metadata"]["resourceVersion"]
                params = {
                    "watch": "1",
                    "resourceVersion": rv,
                    "allowWatchBookmarks": "true",
                    "timeoutSeconds": "1800",
                }
                with self._session.get(
                    self.kube.url(path),
                    params=params,
                    stream=True,
                    timeout=(10, 120),
                    verify=self.kube.endpoint.ca_cert,
                ) as response:
                    for line in response.iter_lines():
                        if not line:
                            continue
                        event = json.loads(line)
                        kind, obj = event.get("type"), event.get("object") or {}
                        if kind == "ERROR":
                            rv = ""
                            break
                        rv = (obj.get("metadata") or {}).get("resourceVersion", rv)
                        if kind == "BOOKMARK":
                            continue
                        if kind == "MODIFIED":
                            with self.lock:
                                self.modified += 1
                        if kind in ("ADDED", "MODIFIED"):
                            self._see(obj)
            except Exception as error:  # reconnect; the bench must not die on a watch blip
                if self._stop.is_set():
                    return
                log(f"watch error ({type(error).__name__}); re-watching")
                time.sleep(0.5)

    def wait_ready(
        self, wanted: Iterable[tuple[str, int]], timeout: float
    ) -> dict[tuple[str, int], float]:
        keys = list(wanted)
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                missing = [k for k in keys if k not in self.ready_at]
                if not missing:
                    return {k: self.ready_at[k] for k in keys}
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"{len(missing)} of {len(keys)} not Ready after {timeout:.0f}s, "
                        f"e.g. {missing[:3]}"
                    )
                self.lock.wait(min(left, 1.0))


# --- the controller process -----------------------------------------------------------------


@dataclass
class Scrape:
    kc_reads: float = 0.0
    kc_writes: float = 0.0
    kc_by_method: dict[str, float] = field(default_factory=dict)
    reconciles: dict[str, float] = field(default_factory=dict)
    depth: dict[str, float] = field(default_factory=dict)
    active: dict[str, float] = field(default_factory=dict)

    def idle(self) -> bool:
        return not any(self.depth.values()) and not any(self.active.values())


class ControllerProcess:
    def __init__(
        self,
        kubeconfig: str,
        namespace: str,
        log_path: Path,
        extra_args: list[str],
    ) -> None:
        self.kubeconfig = kubeconfig
        self.namespace = namespace
        self.log_path = log_path
        self.extra_args = extra_args
        self.env: dict[str, str] = dict(CONTROLLER_ENV)
        self.port = 0
        self.popen: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    def start(self) -> ControllerProcess:
        self.port = free_port()
        command = [
            sys.executable,
            "-m",
            "keycloak_controller.cli",
            "run",
            "--kubeconfig",
            self.kubeconfig,
            "--namespaces",
            self.namespace,
            "--no-leader-elect",
            "--health-probe-bind-address",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            *self.extra_args,
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self.started = time.monotonic()
            self.popen = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=REPO,
                start_new_session=True,
                env={**os.environ, **self.env},
            )
        wait_for(self._ready, 120, "the controller's /readyz")
        return self

    def _ready(self) -> bool:
        assert self.popen is not None
        if self.popen.poll() is not None:
            code = self.popen.returncode
            raise RuntimeError(f"controller exited with {code}; see {self.log_path}")
        try:
            return requests.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2).ok
        except requests.RequestException:
            return False

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def stop(self) -> None:
        if self.popen is not None:
            # SIGTERM: a graceful stop, as a rollout does.
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=40)
            except subprocess.TimeoutExpired:
                terminate_group(self.popen.pid, timeout=5)
            self.popen = None

    def scrape(self) -> Scrape:
        text = requests.get(f"http://127.0.0.1:{self.port}/metrics", timeout=10).text
        out = Scrape()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels, value = sample.labels, sample.value
                if sample.name == "keycloak_client_requests_total":
                    method = labels.get("method", "")
                    out.kc_by_method[method] = out.kc_by_method.get(method, 0.0) + value
                    if method == "GET":
                        out.kc_reads += value
                    else:
                        out.kc_writes += value
                elif sample.name == "controller_runtime_reconcile_total":
                    c = labels["controller"]
                    out.reconciles[c] = out.reconciles.get(c, 0.0) + value
                elif sample.name == "workqueue_depth":
                    c = labels.get("name", "")
                    out.depth[c] = out.depth.get(c, 0.0) + value
                elif sample.name == "controller_runtime_active_workers":
                    out.active[labels["controller"]] = value
        return out

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def wait_reconciled(self, controller: str, at_least: float, timeout: float) -> Scrape:
        """Until `controller` has done `at_least` reconciles and every queue is idle."""
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while True:
            scrape = self.scrape()
            if scrape.reconciles.get(controller, 0.0) >= at_least and scrape.idle():
                # Idle twice in a row 0.3 s apart: nothing was between get and done.
                if quiet_since is not None:
                    return scrape
                quiet_since = time.monotonic()
            else:
                quiet_since = None
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{controller}: {scrape.reconciles.get(controller)} reconciles of "
                    f"{at_least}, queues {scrape.depth}, active {scrape.active}"
                )
            time.sleep(0.3)


# --- the floor: the same end state, straight through the Admin API --------------------------


def client_spec(index: int, realm_cr: str, suffix: str = "") -> dict[str, Any]:
    return {
        "realmRef": {"name": realm_cr},
        "clientId": f"app-{index}{suffix}",
        "accessType": "Confidential",
        "redirectUris": [f"https://app-{index}.example.com/callback"],
    }


class Floor:
    """A minimal direct script: POST the client, GET its secret, POST the Secret."""

    def __init__(self, kc: KeycloakEndpoint, kube: Kube) -> None:
        self.kc = kc
        self.kube = kube
        self._local = threading.local()
        self._token_lock = threading.Lock()
        self._token = ("", 0.0)

    def token(self) -> str:
        with self._token_lock:
            value, fetched = self._token
            if time.monotonic() - fetched < 30:
                return value
            response = requests.post(
                f"{self.kc.base_url}/realms/master/protocol/openid-connect/token",
                data={
                    "grant_type": "password",
                    "client_id": "admin-cli",
                    "username": self.kc.admin_username,
                    "password": self.kc.admin_password,
                },
                timeout=30,
            )
            response.raise_for_status()
            self._token = (response.json()["access_token"], time.monotonic())
            return self._token[0]

    @property
    def session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
        return session

    def kc_request(self, method: str, path: str, body: Any = None) -> requests.Response:
        response = self.session.request(
            method,
            self.kc.base_url + path,
            json=body,
            timeout=60,
            headers={"Authorization": f"Bearer {self.token()}"},
        )
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:200]}")
        return response

    def create_realm(self, name: str) -> None:
        self.kc_request("POST", "/admin/realms", {"realm": name, "enabled": True})

    def one(self, namespace: str, realm: str, index: int) -> None:
        self.client_and_secret(namespace, realm, index)

    def client_and_secret(self, namespace: str, realm: str, index: int) -> None:
        spec = KeycloakClientSpec.model_validate(client_spec(index, realm))
        owner = Owner("KeycloakClient", namespace, f"app-{index}", f"floor-{index}")
        body = to_json(client_plan.desired_client(spec, owner.attributes()))
        created = self.kc_request("POST", f"/admin/realms/{realm}/clients", body)
        uuid = created.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
        secret = self.kc_request("GET", f"/admin/realms/{realm}/clients/{uuid}/client-secret")
        data = client_plan.credentials_data(
            spec.client_id, Secret(secret.json()["value"]), self.kc.base_url, realm
        )
        self.kube.secret(namespace, f"app-{index}-credentials", data)

    def run(self, namespace: str, realms: list[str], indexes: range, concurrency: int) -> float:
        self.token()
        started = time.monotonic()
        with ThreadPoolExecutor(concurrency) as pool:
            futures = [
                pool.submit(self.one, namespace, realms[i % len(realms)], i) for i in indexes
            ]
            for future in futures:
                future.result()
        return time.monotonic() - started


class OperatorFloor(Floor):
    """The floor plus the Kubernetes writes that any operator of this design must make per
    object: the CR itself (applied by the user), a finalizer before the Keycloak client
    exists, and a status once it does; no Events, no watches, no reads of the CR.

    The controller cannot beat this; the gap between the two is the controller's own
    overhead, the gap between this and the floor is the price of being an operator."""

    def one(self, namespace: str, realm: str, index: int) -> None:
        name = f"app-{index}"
        spec = client_spec(index, realm)
        realm_ref, client_id = spec.pop("realmRef")["name"], spec.pop("clientId")
        created = self.kube.request(
            "POST",
            Kube.custom(namespace, "keycloakclients"),
            client_object(name, realm_ref, client_id, **spec),
        )
        path = Kube.custom(namespace, "keycloakclients", name)
        rv = created["metadata"]["resourceVersion"]
        finalized = self.kube.request(
            "PATCH", path, {"metadata": {"finalizers": [FINALIZER], "resourceVersion": rv}}
        )
        self.client_and_secret(namespace, realm, index)
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        ready = {"type": "Ready", "status": "True", "reason": "Succeeded", "message": "in sync"}
        status = {
            "observedGeneration": 1,
            "conditions": [{**ready, "observedGeneration": 1, "lastTransitionTime": now}],
        }
        rv = finalized["metadata"]["resourceVersion"]
        self.kube.request(
            "PATCH", path + "/status", {"metadata": {"resourceVersion": rv}, "status": status}
        )


# --- the benchmark --------------------------------------------------------------------------


@dataclass
class Env:
    workdir: Path
    plane: ControlPlane
    keycloak: KeycloakServer
    kube: Kube
    kc: KeycloakEndpoint
    endpoint: ControlPlaneEndpoint


def start_env(workdir: Path) -> Env:
    plane = ControlPlane(workdir / "controlplane")
    keycloak = KeycloakServer(canonical_keycloak_version(), workdir / "keycloak")
    errors: list[BaseException] = []

    def start_keycloak() -> None:
        try:
            keycloak.start()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=start_keycloak)
    thread.start()
    try:
        endpoint = plane.start()
        wait_for_default_namespace(endpoint)
        install_crds(endpoint)
    finally:
        thread.join()
    if errors:
        plane.stop()
        raise errors[0]
    return Env(workdir, plane, keycloak, Kube(endpoint), keycloak.endpoint, endpoint)


class Bench:
    def __init__(self, env: Env, args: argparse.Namespace) -> None:
        self.env = env
        self.args = args
        self.kube = env.kube
        self.floor = Floor(env.kc, env.kube)
        self.operator_floor = OperatorFloor(env.kc, env.kube)
        self.results: dict[str, Any] = {"sizes": {}}
        self.best_concurrency: int | None = None
        self.extra_args = ["--workers", str(args.workers)] if args.workers else []
        # The controller runs as deploy/default's ServiceAccount with a bound token, as
        # in a cluster: that proves its RBAC suffices, and the apiserver authenticates
        # it as it would in production (a cached token, not a client certificate).
        identity = controller_identity(env.endpoint)
        self.controller_kubeconfig = str(identity.kubeconfig(env.workdir / "controller.kubeconfig"))

    # --- floor ---

    def calibrate(self) -> int:
        """Try a few concurrencies on a small batch; the fastest is the floor's."""
        if self.best_concurrency is not None:
            return self.best_concurrency
        namespace, realm = "floor-calibration", "floor-calibration"
        self.kube.namespace(namespace)
        self.floor.create_realm(realm)
        batch = self.args.calibration_batch
        rates: dict[int, float] = {}
        start = 0
        for concurrency in self.args.floor_concurrency:
            seconds = self.floor.run(namespace, [realm], range(start, start + batch), concurrency)
            rates[concurrency] = batch / seconds
            start += batch
            log(f"floor calibration: concurrency {concurrency}: {rates[concurrency]:.1f} clients/s")
        self.best_concurrency = max(rates, key=lambda c: rates[c])
        self.results["floor_calibration"] = {str(c): round(r, 2) for c, r in rates.items()}
        return self.best_concurrency

    def cpu_meter(self, controller: ControllerProcess | None = None) -> CpuMeter:
        plane, keycloak = self.env.plane, self.env.keycloak
        pids = {
            "etcd": plane.etcd.pid if plane.etcd else None,
            "kube-apiserver": plane.apiserver.pid if plane.apiserver else None,
            "keycloak": keycloak.process.pid if keycloak.process else None,
            "controller": controller.pid if controller else None,
            "bench": os.getpid(),
        }
        return CpuMeter({k: v for k, v in pids.items() if v}, trees=frozenset({"keycloak"}))

    def _timed(self, floor: Floor, prefix: str, n: int, cpu_key: str) -> tuple[float, int]:
        """Run `floor` for N clients in a fresh namespace and realms; record its CPU."""
        concurrency = self.calibrate()
        namespace = prefix
        realms = [f"{prefix.replace('-', '')}-r{i}" for i in range(REALMS)]
        self.kube.namespace(namespace)
        for realm in realms:
            floor.create_realm(realm)
        meter = self.cpu_meter()
        before = meter.snapshot()
        seconds = floor.run(namespace, realms, range(n), concurrency)
        self.results["sizes"][str(n)][cpu_key] = meter.spent(before, meter.snapshot())
        return seconds, concurrency

    def run_floor(self, n: int, *, second: bool = False) -> float:
        tag = f"{n}b" if second else str(n)
        cpu_key = f"floor{'_after' if second else ''}_cpu_s"
        seconds, concurrency = self._timed(self.floor, f"floor-{tag}", n, cpu_key)
        log(
            f"floor N={n}{' (again)' if second else ''}: {seconds:.1f}s at concurrency "
            f"{concurrency}; load average {os.getloadavg()[0]:.1f}"
        )
        return seconds

    def run_operator_floor(self, n: int) -> float:
        """The operator floor at the floor's concurrency, in its own namespace and realms."""
        seconds, concurrency = self._timed(
            self.operator_floor, f"opfloor-{n}", n, "operator_floor_cpu_s"
        )
        log(f"operator floor N={n}: {seconds:.1f}s at concurrency {concurrency}")
        return seconds

    # --- controller ---

    def setup_namespace(self, namespace: str, prefix: str) -> list[str]:
        kc = self.env.kc
        self.kube.namespace(namespace)
        self.kube.secret(
            namespace,
            "keycloak-admin",
            {"username": kc.admin_username, "password": kc.admin_password},
        )
        self.kube.create(namespace, "keycloaks", keycloak_object("kc", kc, "keycloak-admin"))
        realms = [f"r{i}" for i in range(REALMS)]
        for realm in realms:
            body = realm_object(realm, "kc", f"{prefix}-{realm}")
            self.kube.create(namespace, "keycloakrealms", body)
        return realms

    def wait_parents(self, namespace: str, realms: list[str]) -> None:
        wait_for(lambda: is_ready(self.kube.get(namespace, "keycloaks", "kc")), 120, "Keycloak CR")
        for realm in realms:
            wait_for(
                lambda r=realm: is_ready(self.kube.get(namespace, "keycloakrealms", r)),  # type: ignore[misc]
                180,
                f"realm {realm}",
            )

    def apply_clients(self, namespace: str, realms: list[str], indexes: range) -> None:
        def create(i: int) -> None:
            spec = client_spec(i, realms[i % len(realms)])
            realm, client_id = spec.pop("realmRef")["name"], spec.pop("clientId")
            body = client_object(f"app-{i}", realm, client_id, **spec)
            self.kube.create(namespace, "keycloakclients", body)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(create, indexes))

    def force_resync(
        self, controller: ControllerProcess, namespace: str, realms: list[str], n: int
    ) -> dict[str, Any]:
        """Touch every realm: each realm change requeues all of its clients (a full wave).

        First wait out the controller's client cache (30 s), as a periodic resync
        (600 s after the last one) would find it: nothing read before is reused.
        """
        controller.wait_reconciled("keycloakclient", 0, 600)
        time.sleep(self.args.settle_seconds)
        before = controller.wait_reconciled("keycloakclient", 0, 600)
        cpu0 = controller.cpu_seconds()
        started = time.monotonic()
        stamp = str(time.time())
        for realm in realms:
            self.kube.patch(
                namespace,
                "keycloakrealms",
                realm,
                {"metadata": {"annotations": {"bench/resync": stamp}}},
            )
        target = before.reconciles.get("keycloakclient", 0.0) + n
        after = controller.wait_reconciled("keycloakclient", target, 1200)
        wall = time.monotonic() - started
        cpu = controller.cpu_seconds() - cpu0
        reads = after.kc_reads - before.kc_reads
        writes = after.kc_writes - before.kc_writes
        return {
            "objects": n,
            "wall_s": round(wall, 2),
            "keycloak_reads": int(reads),
            "keycloak_writes": int(writes),
            "reads_per_object": round(reads / n, 4),
            "objects_per_read": round(n / reads, 1) if reads else None,
            "cpu_s": round(cpu, 2),
        }

    def start_profiler(
        self, controller: ControllerProcess, n: int
    ) -> subprocess.Popen[bytes] | None:
        """--profile: py-spy (every thread) on the controller during the largest cold start."""
        if not self.args.profile:
            return None
        out = self.env.workdir / f"profile-{n}.txt"
        log(f"profiling the controller into {out}")
        return subprocess.Popen(
            [
                self.args.profile,
                "record",
                "--pid",
                str(controller.pid),
                "--format",
                "raw",
                "--rate",
                "50",
                "--output",
                str(out),
                "--nonblocking",
                # Only the thread holding the GIL: where the CPU goes, not the waits.
                "--gil",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def run_size(self, n: int, last: bool) -> None:
        result: dict[str, Any] = {}
        self.results["sizes"][str(n)] = result
        floor = self.run_floor(n)
        result["floor_before_s"] = round(floor, 2)
        result["operator_floor_s"] = round(self.run_operator_floor(n), 2)

        namespace = f"bench-{n}"
        realms = self.setup_namespace(namespace, f"b{n}")
        controller = ControllerProcess(
            self.controller_kubeconfig,
            namespace,
            self.env.workdir / "logs" / f"controller-{n}.log",
            self.extra_args,
        ).start()
        tracker = ReadyTracker(self.kube, namespace).start()
        try:
            self.wait_parents(namespace, realms)
            before = controller.wait_reconciled("keycloakrealm", REALMS, 300)
            profiler = self.start_profiler(controller, n) if last else None
            cpu0 = controller.cpu_seconds()
            meter = self.cpu_meter(controller)
            cpu_before = meter.snapshot()
            started = time.monotonic()
            self.apply_clients(namespace, realms, range(n))
            applied = time.monotonic() - started
            tracker.wait_ready([(f"app-{i}", 1) for i in range(n)], timeout=max(600, n * 2))
            seconds = time.monotonic() - started
            result["controller_cpu_by_process_s"] = meter.spent(cpu_before, meter.snapshot())
            after = controller.wait_reconciled("keycloakclient", n, 600)
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)
                profiler.wait(60)
            # The machine is shared: run the floor again right after, and compare with
            # the faster of the two (the ratio can only get worse by this).
            floor_after = self.run_floor(n, second=True)
            result["floor_after_s"] = round(floor_after, 2)
            floor = min(floor, floor_after)
            result["floor_s"] = round(floor, 2)
            result.update(
                controller_s=round(seconds, 2),
                apply_s=round(applied, 2),
                controller_cpu_s=round(controller.cpu_seconds() - cpu0, 2),
                ratio=round(seconds / floor, 2),
                ratio_to_operator_floor=round(seconds / result["operator_floor_s"], 2),
                convergence_keycloak_reads=int(after.kc_reads - before.kc_reads),
                convergence_keycloak_writes=int(after.kc_writes - before.kc_writes),
                convergence_keycloak_by_method={
                    k: int(v - before.kc_by_method.get(k, 0.0))
                    for k, v in after.kc_by_method.items()
                },
            )
            log(
                f"controller N={n}: {seconds:.1f}s (ratio {seconds / floor:.2f}); "
                f"Keycloak {result['convergence_keycloak_by_method']}"
            )
            result["drift"] = self.force_resync(controller, namespace, realms, n)
            log(f"drift N={n}: {result['drift']}")
            if last:
                self.run_managed_phases(controller, tracker, namespace, realms, n)
        finally:
            tracker.stop()
            controller.stop()

    def run_managed_phases(
        self,
        controller: ControllerProcess,
        tracker: ReadyTracker,
        namespace: str,
        realms: list[str],
        n: int,
    ) -> None:
        args = self.args
        # Idle CPU: nothing to do until the resync period (default 600 s) comes round.
        time.sleep(2)
        cpu0, t0 = controller.cpu_seconds(), time.monotonic()
        time.sleep(args.idle_seconds)
        idle_rate = (controller.cpu_seconds() - cpu0) / (time.monotonic() - t0)
        wave_cpu = self.results["sizes"][str(n)]["drift"]["cpu_s"]
        waves_per_hour = 3600 / args.resync_period
        self.results["cpu"] = {
            "objects": n,
            "idle_window_s": args.idle_seconds,
            "idle_cpu_s_per_h": round(idle_rate * 3600, 1),
            "resync_wave_cpu_s": wave_cpu,
            "resync_period_s": args.resync_period,
            "idle_plus_resync_cpu_s_per_h": round(idle_rate * 3600 + wave_cpu * waves_per_hour, 1),
        }
        log(f"cpu: {self.results['cpu']}")

        # Edit latency: one CR after another, apply -> Ready at the new generation.
        latencies: list[float] = []
        for k in range(args.edits):
            name = f"app-{(k * 7919) % n}"
            started = time.monotonic()
            updated = self.kube.patch(
                namespace,
                "keycloakclients",
                name,
                {"spec": {"description": f"edit {k} at {time.time():.3f}"}},
            )
            generation = int(updated["metadata"]["generation"])
            done = tracker.wait_ready([(name, generation)], timeout=120)[(name, generation)]
            latencies.append(done - started)
        self.results["edit"] = {
            "objects": n,
            "edits": len(latencies),
            "p50_s": round(percentile(latencies, 0.5), 3),
            "p99_s": round(percentile(latencies, 0.99), 3),
            "max_s": round(max(latencies), 3),
            "mean_s": round(statistics.fmean(latencies), 3),
        }
        log(f"edit: {self.results['edit']}")
        controller.wait_reconciled("keycloakclient", 0, 120)
        memory: dict[str, Any] = {"rss_mb": {str(n): round(controller.rss_mb(), 1)}}
        self.results["memory"] = memory

        # Restart with everything in sync.
        controller.stop()
        modified_before = tracker.modified
        restarted = ControllerProcess(
            controller.kubeconfig,
            namespace,
            controller.log_path,
            self.extra_args,
        )
        started = time.monotonic()
        restarted.start()
        ready = time.monotonic() - started
        scrape = restarted.wait_reconciled("keycloakclient", n, 900)
        seconds = time.monotonic() - started
        time.sleep(1)
        self.results["restart"] = {
            "objects": n,
            "process_ready_s": round(ready, 2),
            "all_reconciled_s": round(seconds, 2),
            "keycloak_reads": int(scrape.kc_reads),
            "keycloak_writes": int(scrape.kc_writes),
            "cr_writes": tracker.modified - modified_before,
        }
        log(f"restart: {self.results['restart']}")
        controller.popen, controller.port = restarted.popen, restarted.port

        # Memory with more CRs: more of the same confidential clients, in the same 5 realms.
        total = args.rss_objects
        if total > n:
            started = time.monotonic()
            self.apply_clients(namespace, realms, range(n, total))
            tracker.wait_ready([(f"app-{i}", 1) for i in range(n, total)], timeout=total * 2)
            memory["extra_objects_s"] = round(time.monotonic() - started, 1)
            wave = self.force_resync(controller, namespace, realms, total)
            memory["drift_at_rss_objects"] = wave
            time.sleep(2)
            memory["rss_mb"][str(total)] = round(controller.rss_mb(), 1)
            # The same objects held by a fresh process (no cold-start garbage in its heap).
            controller.stop()
            fresh = ControllerProcess(
                controller.kubeconfig, namespace, controller.log_path, self.extra_args
            ).start()
            fresh.wait_reconciled("keycloakclient", total, 900)
            time.sleep(2)
            memory["rss_mb_after_restart"] = {str(total): round(fresh.rss_mb(), 1)}
            controller.popen, controller.port = fresh.popen, fresh.port
        log(f"memory: {memory}")

    def run(self) -> dict[str, Any]:
        sizes = self.args.sizes
        for i, n in enumerate(sizes):
            self.run_size(n, last=i == len(sizes) - 1)
        return self.results


# --- output ---------------------------------------------------------------------------------


def table(results: dict[str, Any]) -> str:
    rows = [("measure", "value")]
    for n, r in results["sizes"].items():
        rows.append(
            (
                f"convergence N={n}: floor / controller / ratio",
                f"{r['floor_s']} s / {r['controller_s']} s / {r['ratio']}x"
                f" (floor before/after {r.get('floor_before_s')}/{r.get('floor_after_s')})",
            )
        )
        if "operator_floor_s" in r:
            rows.append(
                (
                    f"convergence N={n}: operator floor / ratio",
                    f"{r['operator_floor_s']} s / {r['ratio_to_operator_floor']}x",
                )
            )
    for n, r in results["sizes"].items():
        d = r["drift"]
        rows.append(
            (
                f"drift resync N={n}: reads/object, writes, wall",
                f"{d['reads_per_object']} ({d['keycloak_reads']} reads), "
                f"{d['keycloak_writes']} writes, {d['wall_s']} s",
            )
        )
    if "edit" in results:
        e = results["edit"]
        rows.append(
            (
                f"edit latency ({e['edits']} edits, {e['objects']} managed): p50 / p99",
                f"{e['p50_s']} s / {e['p99_s']} s",
            )
        )
    if "memory" in results:
        for n, mb in results["memory"]["rss_mb"].items():
            rows.append((f"controller RSS with {n} CRs", f"{mb} MB"))
        for n, mb in results["memory"].get("rss_mb_after_restart", {}).items():
            rows.append((f"controller RSS with {n} CRs, after a restart", f"{mb} MB"))
    if "cpu" in results:
        c = results["cpu"]
        rows.append(
            (
                "CPU idle / idle + resync waves",
                f"{c['idle_cpu_s_per_h']} / {c['idle_plus_resync_cpu_s_per_h']} CPU s per hour",
            )
        )
    if "restart" in results:
        s = results["restart"]
        rows.append(
            (
                f"restart N={s['objects']}: all reconciled, Keycloak writes, CR writes",
                f"{s['all_reconciled_s']} s, {s['keycloak_writes']}, {s['cr_writes']}",
            )
        )
    width = max(len(a) for a, _ in rows)
    lines = [f"{a.ljust(width)}  {b}" for a, b in rows]
    lines.insert(1, "-" * (width + 30))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="100,500,1000",
        help="comma-separated N for cold convergence; the last one also gets the "
        "edit, CPU, memory and restart phases",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: small N, short phases")
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--rss-objects", type=int, default=5000)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument(
        "--resync-period",
        type=float,
        default=600.0,
        help="the controller's resync period, for the CPU-per-hour estimate",
    )
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=35.0,
        help="wait before a forced resync, so that no cached read is reused",
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="pass --workers to the controller (0: its default)"
    )
    parser.add_argument(
        "--profile",
        metavar="PY_SPY",
        help="path of a py-spy binary: profile the controller's largest cold "
        "start, GIL holder only (collapsed stacks in the work directory)",
    )
    parser.add_argument(
        "--controller-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="environment for the controller process, e.g. MALLOC_ARENA_MAX=2",
    )
    parser.add_argument("--floor-concurrency", default="4,8,16,32")
    parser.add_argument("--calibration-batch", type=int, default=60)
    parser.add_argument("--workdir", help="keep the environment here (default: a temp dir)")
    parser.add_argument("--out", default=str(BENCH_DIR / "results"))
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = "30"
        args.edits = 5
        args.rss_objects = 60
        args.idle_seconds = 5.0
        args.calibration_batch = 10
        args.floor_concurrency = "4,16"
        args.settle_seconds = 31.0
    CONTROLLER_ENV.update(item.split("=", 1) for item in args.controller_env)
    args.sizes = [int(s) for s in str(args.sizes).split(",") if s]
    args.floor_concurrency = [int(s) for s in str(args.floor_concurrency).split(",") if s]

    # SIGTERM (a timeout, a Ctrl-C from make) still stops the servers in `finally`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="keycloak-controller-bench-"))
    log(f"starting a private control plane and Keycloak in {workdir}")
    env = start_env(workdir)
    started = time.monotonic()
    try:
        results = Bench(env, args).run()
    finally:
        env.plane.stop()
        env.keycloak.stop()
    results["meta"] = {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "keycloak_version": env.kc.version,
        "cpus": os.cpu_count(),
        "quick": args.quick,
        "workers": args.workers or "default",
        "bench_seconds": round(time.monotonic() - started, 1),
        "args": {k: v for k, v in vars(args).items() if k not in ("workdir", "out")},
    }
    print(table(results))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = out / f"{stamp}{'-quick' if args.quick else ''}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
