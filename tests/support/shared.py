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
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar

from .cluster import SimulatedCluster
from .config import REPO_ROOT
from .controlplane import ControlPlane, ControlPlaneEndpoint, wait_for_default_namespace
from .keycloak_server import KeycloakEndpoint, KeycloakServer
from .ldap_server import LdapEndpoint, LdapServer
from .postgres import PostgresEndpoint, PostgresServer, remove_data_root
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


class _Endpoint(Protocol):
    def to_json(self) -> Any: ...


E = TypeVar("E", bound=_Endpoint)
T = TypeVar("T")
_Started = tuple[E, list[int], Mapping[str, float | None]]


def _started(start: Callable[[], T], stop: Callable[[], None]) -> T:
    """`start()`, stopping what it began when it fails (even on KeyboardInterrupt)."""
    try:
        return start()
    except BaseException:
        stop()
        raise


class SharedEnvironment:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir

    def _record(self, name: str) -> Path:
        return self.run_dir / f"{name}.json"

    def _component(
        self,
        name: str,
        load: Callable[[Any], E],
        start: Callable[[Path], _Started[E]],
    ) -> E:
        """The run's one `name`: read from its record, or started (and recorded) here.

        `start(directory)` returns the endpoint, the pids to stop at teardown and the
        start-up seconds to report; it stops what it began when it raises.
        """
        record = self._record(name)
        with _locked(self.run_dir / f"{name}.lock"):
            if record.exists():
                return load(json.loads(record.read_text())["endpoint"])
            endpoint, pids, seconds = start(self.run_dir / name)
            entry = {"endpoint": endpoint.to_json(), "pids": pids, "startup_seconds": seconds}
            record.write_text(json.dumps(entry))
            return endpoint

    def control_plane(self) -> ControlPlaneEndpoint:
        def start(directory: Path) -> _Started[ControlPlaneEndpoint]:
            plane = ControlPlane(directory)
            endpoint = _started(plane.start, plane.stop)
            _started(lambda: wait_for_default_namespace(endpoint), plane.stop)
            pids = [p.pid for p in (plane.etcd, plane.apiserver) if p is not None and p.pid]
            return endpoint, pids, plane.startup_seconds

        return self._component("controlplane", ControlPlaneEndpoint.from_json, start)

    def keycloak(self, version: str) -> KeycloakEndpoint:
        name = f"keycloak-{version}"

        def start(directory: Path) -> _Started[KeycloakEndpoint]:
            server = KeycloakServer(version, directory)
            endpoint = _started(server.start, server.stop)
            assert server.process is not None and server.process.pid is not None
            return endpoint, [server.process.pid], {name: server.startup_seconds}

        return self._component(name, KeycloakEndpoint.from_json, start)

    def ldap(self) -> LdapEndpoint:
        """The run's one slapd (tests add their own uniquely named entries)."""

        def start(directory: Path) -> _Started[LdapEndpoint]:
            server = LdapServer(directory)
            endpoint = _started(server.start, server.stop)
            assert server.process is not None and server.process.pid is not None
            return endpoint, [server.process.pid], {"slapd": server.startup_seconds}

        return self._component("ldap", LdapEndpoint.from_json, start)

    def simulated_cluster(self) -> ControlPlaneEndpoint:
        """The run's KWOK cluster (tests/support/cluster.py), apart from the control plane."""

        def start(directory: Path) -> _Started[ControlPlaneEndpoint]:
            cluster = SimulatedCluster(directory)
            endpoint = _started(cluster.start, cluster.stop)
            seconds = {f"cluster {k}": v for k, v in cluster.startup_seconds.items()}
            return endpoint, cluster.pids, seconds

        return self._component("cluster", ControlPlaneEndpoint.from_json, start)

    def postgres(self) -> PostgresEndpoint:
        """The run's one PostgreSQL (tests create their own databases)."""

        def start(directory: Path) -> _Started[PostgresEndpoint]:
            server = PostgresServer(directory)
            endpoint = _started(server.start, server.stop)
            assert server.process is not None and server.process.pid is not None
            seconds = {"postgres": server.startup_seconds}
            return endpoint, [server.process.pid], seconds

        return self._component("postgres", PostgresEndpoint.from_json, start)

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
        remove_data_root(self.run_dir / "postgres")
