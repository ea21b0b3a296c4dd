"""One control plane and one Keycloak per version, shared by every test process.

pytest-xdist runs tests in several worker processes, and session fixtures are
per process, so sharing needs a rendezvous outside pytest: a run directory with
one file lock and one JSON record per component. The first process that asks
for a component starts it; the others read its record. Components start in
their own process group, so they outlive the worker that started them; the
process that created the run directory (the xdist controller, or plain pytest)
stops them all at the end.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from .cluster import SimulatedCluster
from .config import REPO_ROOT
from .controlplane import ControlPlane, ControlPlaneEndpoint, wait_for_default_namespace
from .keycloak_server import KeycloakEndpoint, KeycloakServer
from .ldap_server import LdapEndpoint, LdapServer
from .postgres import PostgresEndpoint, PostgresServer
from .process import terminate_group

RUN_DIR_ENV = "KEYCLOAK_CONTROLLER_TESTENV_RUN"
_KEEP_RUNS = 3


def testenv_root() -> Path:
    return Path(os.environ.get("KEYCLOAK_CONTROLLER_TESTENV_DIR", REPO_ROOT / ".testenv"))


def _owner_alive(run_dir: Path) -> bool:
    """Run directories end in the owning pytest's pid; never delete a live run's files."""
    try:
        os.kill(int(run_dir.name.rsplit("-", 1)[1]), 0)
    except (ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def new_run_dir() -> Path:
    root = testenv_root()
    root.mkdir(parents=True, exist_ok=True)
    # Old runs keep their logs for a while; older finished ones are removed.
    finished = [run for run in sorted(root.glob("run-*")) if not _owner_alive(run)]
    for old in finished[:-_KEEP_RUNS]:
        shutil.rmtree(old, ignore_errors=True)
    run = root / f"run-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    run.mkdir()
    return run


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class SharedEnvironment:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir

    def _record(self, name: str) -> Path:
        return self.run_dir / f"{name}.json"

    def control_plane(self) -> ControlPlaneEndpoint:
        record = self._record("controlplane")
        with _locked(self.run_dir / "controlplane.lock"):
            if record.exists():
                return ControlPlaneEndpoint.from_json(json.loads(record.read_text())["endpoint"])
            plane = ControlPlane(self.run_dir / "controlplane")
            try:
                endpoint = plane.start()
                wait_for_default_namespace(endpoint)
            except BaseException:
                plane.stop()
                raise
            pids = [p.pid for p in (plane.etcd, plane.apiserver) if p is not None and p.pid]
            record.write_text(
                json.dumps(
                    {
                        "endpoint": endpoint.to_json(),
                        "pids": pids,
                        "startup_seconds": plane.startup_seconds,
                    }
                )
            )
            return endpoint

    def keycloak(self, version: str) -> KeycloakEndpoint:
        name = f"keycloak-{version}"
        record = self._record(name)
        with _locked(self.run_dir / f"{name}.lock"):
            if record.exists():
                return KeycloakEndpoint.from_json(json.loads(record.read_text())["endpoint"])
            server = KeycloakServer(version, self.run_dir / name)
            try:
                endpoint = server.start()
            except BaseException:
                server.stop()
                raise
            assert server.process is not None and server.process.pid is not None
            record.write_text(
                json.dumps(
                    {
                        "endpoint": endpoint.to_json(),
                        "pids": [server.process.pid],
                        "startup_seconds": {name: server.startup_seconds},
                    }
                )
            )
            return endpoint

    def ldap(self) -> LdapEndpoint:
        """The run's one slapd (tests add their own uniquely named entries)."""
        record = self._record("ldap")
        with _locked(self.run_dir / "ldap.lock"):
            if record.exists():
                return LdapEndpoint.from_json(json.loads(record.read_text())["endpoint"])
            server = LdapServer(self.run_dir / "ldap")
            try:
                endpoint = server.start()
            except BaseException:
                server.stop()
                raise
            assert server.process is not None and server.process.pid is not None
            record.write_text(
                json.dumps(
                    {
                        "endpoint": endpoint.to_json(),
                        "pids": [server.process.pid],
                        "startup_seconds": {"slapd": server.startup_seconds},
                    }
                )
            )
            return endpoint

    def simulated_cluster(self) -> ControlPlaneEndpoint:
        """The run's KWOK cluster (tests/support/cluster.py), apart from the control plane."""
        record = self._record("cluster")
        with _locked(self.run_dir / "cluster.lock"):
            if record.exists():
                return ControlPlaneEndpoint.from_json(json.loads(record.read_text())["endpoint"])
            cluster = SimulatedCluster(self.run_dir / "cluster")
            try:
                endpoint = cluster.start()
            except BaseException:
                cluster.stop()
                raise
            seconds = {f"cluster {k}": v for k, v in cluster.startup_seconds.items()}
            record.write_text(
                json.dumps(
                    {
                        "endpoint": endpoint.to_json(),
                        "pids": cluster.pids,
                        "startup_seconds": seconds,
                    }
                )
            )
            return endpoint

    def postgres(self) -> PostgresEndpoint:
        """The run's one PostgreSQL (tests create their own databases)."""
        record = self._record("postgres")
        with _locked(self.run_dir / "postgres.lock"):
            if record.exists():
                return PostgresEndpoint.from_json(json.loads(record.read_text())["endpoint"])
            server = PostgresServer(self.run_dir / "postgres")
            try:
                endpoint = server.start()
            except BaseException:
                server.stop()
                raise
            assert server.process is not None and server.process.pid is not None
            record.write_text(
                json.dumps(
                    {
                        "endpoint": endpoint.to_json(),
                        "pids": [server.process.pid],
                        "startup_seconds": {"postgres": server.startup_seconds},
                    }
                )
            )
            return endpoint

    def startup_seconds(self) -> dict[str, float]:
        figures: dict[str, float] = {}
        for record in sorted(self.run_dir.glob("*.json")):
            figures.update(json.loads(record.read_text()).get("startup_seconds", {}))
        return figures

    def teardown(self) -> None:
        """Stop every component this run started; keep the logs, drop the data."""
        for record in self.run_dir.glob("*.json"):
            for pid in json.loads(record.read_text())["pids"]:
                terminate_group(pid, timeout=30)
        for data in (
            "controlplane/etcd",
            "ldap/data",
            "cluster/etcd",
            "postgres/data",
            *(f"{p.name}/h2" for p in self.run_dir.glob("keycloak-*")),
        ):
            shutil.rmtree(self.run_dir / data, ignore_errors=True)
