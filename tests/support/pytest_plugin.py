"""pytest fixtures for the real local environment.

Fixtures:
- `control_plane`: the shared etcd + kube-apiserver (admin endpoint).
- `private_control_plane`: a factory for an exclusive control plane that a test
  may restart or compact without disturbing the others.
- `keycloak`: the shared canonical Keycloak.
- `keycloak_any_version`: the shared Keycloak of each pinned version.
- `ldap`: the shared OpenLDAP slapd (tests/support/ldap_server.py).
- `simulated_cluster`: the run's KWOK cluster (controller-manager, scheduler,
  fake nodes), apart from the shared control plane (tests/support/cluster.py).
- `postgres`: the run's real PostgreSQL (tests/support/postgres.py).
- `private_keycloak`: a factory for an exclusive Keycloak that a test may stop
  and start again (same ports, same database), e.g. to test an outage.
- `unique_name`: names no other test (or earlier run) uses.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from .config import canonical_keycloak_version, keycloak_versions
from .controlplane import ControlPlane, ControlPlaneEndpoint, wait_for_default_namespace
from .keycloak_server import KeycloakEndpoint, KeycloakServer
from .ldap_server import LdapEndpoint
from .postgres import PostgresEndpoint
from .shared import RUN_DIR_ENV, SharedEnvironment, new_run_dir

_OWNER = "keycloak_controller_testenv_owner"


def pytest_configure(config: pytest.Config) -> None:
    # The first pytest process (the xdist controller, or plain pytest) owns the
    # run directory; xdist workers inherit it through the environment.
    if RUN_DIR_ENV not in os.environ:
        os.environ[RUN_DIR_ENV] = str(new_run_dir())
        setattr(config, _OWNER, SharedEnvironment(Path(os.environ[RUN_DIR_ENV])))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in item.path.parts:
            item.add_marker(pytest.mark.integration)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    env: SharedEnvironment | None = getattr(terminalreporter.config, _OWNER, None)
    if env is None:
        return
    figures = env.startup_seconds()
    if figures:
        terminalreporter.section("real components: start-up seconds")
        for name, seconds in figures.items():
            terminalreporter.write_line(f"{name}: {seconds:.1f} s")
        terminalreporter.write_line(f"logs: {env.run_dir}")


def pytest_unconfigure(config: pytest.Config) -> None:
    env: SharedEnvironment | None = getattr(config, _OWNER, None)
    if env is not None:
        env.teardown()
        os.environ.pop(RUN_DIR_ENV, None)


@pytest.fixture(scope="session")
def shared_environment() -> SharedEnvironment:
    return SharedEnvironment(Path(os.environ[RUN_DIR_ENV]))


@pytest.fixture(scope="session")
def control_plane(shared_environment: SharedEnvironment) -> ControlPlaneEndpoint:
    return shared_environment.control_plane()


@pytest.fixture(scope="session")
def keycloak(shared_environment: SharedEnvironment) -> KeycloakEndpoint:
    return shared_environment.keycloak(canonical_keycloak_version())


@pytest.fixture(scope="session")
def ldap(shared_environment: SharedEnvironment) -> LdapEndpoint:
    """The run's shared OpenLDAP slapd (add uniquely named entries per test)."""
    return shared_environment.ldap()


@pytest.fixture(scope="session")
def simulated_cluster(shared_environment: SharedEnvironment) -> ControlPlaneEndpoint:
    return shared_environment.simulated_cluster()


@pytest.fixture(scope="session")
def postgres(shared_environment: SharedEnvironment) -> PostgresEndpoint:
    return shared_environment.postgres()


@pytest.fixture(
    scope="session",
    params=[pytest.param(v, marks=pytest.mark.keycloak_versions) for v in keycloak_versions()],
)
def keycloak_any_version(
    request: pytest.FixtureRequest, shared_environment: SharedEnvironment
) -> KeycloakEndpoint:
    version: str = request.param
    return shared_environment.keycloak(version)


PrivateControlPlaneFactory = Callable[..., ControlPlane]


@pytest.fixture
def private_control_plane(
    shared_environment: SharedEnvironment,
) -> Iterator[PrivateControlPlaneFactory]:
    started: list[ControlPlane] = []

    def start(extra_apiserver_args: Sequence[str] = ()) -> ControlPlane:
        plane = ControlPlane(
            shared_environment.run_dir / f"private-{uuid.uuid4().hex[:8]}",
            extra_apiserver_args=extra_apiserver_args,
        )
        started.append(plane)
        wait_for_default_namespace(plane.start())
        return plane

    yield start
    for plane in started:
        plane.stop()


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """`unique_name("realm")` -> "realm-3f9c2a1b": valid as a DNS-1123 label."""

    def make(prefix: str) -> str:
        return f"{prefix.lower()[:40]}-{uuid.uuid4().hex[:8]}"

    return make


PrivateKeycloakFactory = Callable[..., KeycloakServer]


@pytest.fixture
def private_keycloak(
    shared_environment: SharedEnvironment,
) -> Iterator[PrivateKeycloakFactory]:
    started: list[KeycloakServer] = []

    def start(version: str | None = None) -> KeycloakServer:
        chosen = version or canonical_keycloak_version()
        server = KeycloakServer(
            chosen, shared_environment.run_dir / f"private-keycloak-{uuid.uuid4().hex[:8]}"
        )
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()
