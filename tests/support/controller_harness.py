"""Run the controllers in-process against a test control plane, watching given namespaces.

Each test's Manager watches only that test's namespaces, so the controllers of
tests running in parallel never touch each other's objects. Leader election is
off unless a test asks for it, and the probe server takes a free port.

The controllers authenticate as the controller's ServiceAccount with a token
from the TokenRequest API, bound by nothing but the RBAC in deploy/default
(`tests.support.rbac`), so every controller test also proves that RBAC sufficient.
A test's own setup and assertions use the admin client (`Kube`).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from kubernetes import client as k8s

from keycloak_controller import USER_AGENT
from keycloak_controller.api import Keycloak
from keycloak_controller.controllers.connections import ConnectionRegistry
from keycloak_controller.controllers.reporting import Timing
from keycloak_controller.controllers.secrets import SecretReader
from keycloak_controller.controllers.setup import ControllerOptions, Controllers, setup_controllers
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.metrics import REQUESTS
from keycloak_controller.runtime.leaderelection import LeaderElectionConfig
from keycloak_controller.runtime.manager import Manager, ManagerOptions

from .controlplane import ControlPlaneEndpoint
from .keycloak_server import KeycloakEndpoint
from .rbac import ControllerIdentity, controller_identity

GROUP_VERSION = ("keycloak-controller.dev", "v1alpha1")


def configuration(endpoint: ControlPlaneEndpoint) -> k8s.Configuration:
    """The admin's configuration (client certificate; RBAC does not apply to it)."""
    cfg = k8s.Configuration()
    cfg.host = endpoint.host
    cfg.ssl_ca_cert = endpoint.ca_cert
    cfg.cert_file = endpoint.admin_cert
    cfg.key_file = endpoint.admin_key
    return cfg


class TokenRecorder:
    """Records the tokens Keycloak hands the controllers' admin clients.

    A `requests` response hook on each admin client's session, installed before
    the client sends anything: every access and refresh token the token
    endpoint returns is kept, so a test can look for them where they must not be.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: set[str] = set()

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if not response.url.endswith("/protocol/openid-connect/token") or not response.ok:
            return
        body = response.json()
        with self._lock:
            for name in ("access_token", "refresh_token", "id_token"):
                if body.get(name):
                    self._tokens.add(str(body[name]))

    @property
    def tokens(self) -> set[str]:
        with self._lock:
            return set(self._tokens)


class RecordingConnectionRegistry(ConnectionRegistry):
    """The controllers' ConnectionRegistry, with a TokenRecorder on every client it builds."""

    def __init__(self, recorder: TokenRecorder) -> None:
        super().__init__()
        self.recorder = recorder
        self._hooked: set[int] = set()
        self._hook_lock = threading.Lock()

    def admin_for(self, keycloak: Keycloak, reader: SecretReader) -> KeycloakAdmin:
        # Held across the build, so no worker can use a new client before its hook is on.
        with self._hook_lock:
            admin = super().admin_for(keycloak, reader)
            if id(admin) not in self._hooked:
                admin.transport.session.hooks["response"].append(self.recorder.hook)
                self._hooked.add(id(admin))
            return admin


@dataclass
class ControllerRun:
    """A running in-process controller manager and what a test may inspect about it."""

    manager: Manager
    controllers: Controllers
    identity: ControllerIdentity | None
    tokens: TokenRecorder = field(default_factory=TokenRecorder)

    @property
    def metrics_url(self) -> str:
        assert self.manager.server is not None
        return f"http://127.0.0.1:{self.manager.server.port}/metrics"


@contextmanager
def controller_run(
    endpoint: ControlPlaneEndpoint,
    namespaces: Sequence[str],
    *,
    resync_period: float = 600.0,
    backoff_cap: float = 5.0,
    identity: ControllerIdentity | None = None,
    as_admin: bool = False,
    leader_election: LeaderElectionConfig | None = None,
    record_tokens: bool = False,
    workers: int = 2,
) -> Iterator[ControllerRun]:
    """Run the controllers as the deploy/default ServiceAccount (or `identity`).

    `as_admin=True` runs them with the admin's client certificate instead, for a
    test that is about something other than RBAC and must not depend on it.
    """
    if as_admin:
        config, who = configuration(endpoint), None
    else:
        who = identity or controller_identity(endpoint)
        config = who.configuration()
    manager = Manager(
        config,
        ManagerOptions(
            probe_port=0,
            graceful_shutdown_timeout=10.0,
            leader_election=leader_election,
            user_agent=USER_AGENT,
        ),
        on_lost_leadership=lambda: None,
    )
    controllers = setup_controllers(
        manager,
        ControllerOptions(
            namespaces=list(namespaces),
            workers=workers,
            timing=Timing(resync_period=resync_period, backoff_base=0.5, backoff_cap=backoff_cap),
        ),
    )
    run = ControllerRun(manager, controllers, who)
    if record_tokens:
        # Nothing has run yet, so no client exists that the recorder could miss.
        controllers.context.connections = RecordingConnectionRegistry(run.tokens)
    manager.start()
    try:
        yield run
    finally:
        manager.stop()
        controllers.close()


@contextmanager
def running_controllers(
    endpoint: ControlPlaneEndpoint,
    namespaces: Sequence[str],
    *,
    resync_period: float = 600.0,
    backoff_cap: float = 5.0,
    identity: ControllerIdentity | None = None,
    leader_election: LeaderElectionConfig | None = None,
) -> Iterator[Manager]:
    """`controller_run` for tests that only need the Manager."""
    with controller_run(
        endpoint,
        namespaces,
        resync_period=resync_period,
        backoff_cap=backoff_cap,
        identity=identity,
        leader_election=leader_election,
    ) as run:
        yield run.manager


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll; the timeout is a failure bound, not a measurement."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except k8s.ApiException as error:
            if error.status != 404:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


def controllers_idle(manager: Manager) -> bool:
    """No controller has a key queued or being reconciled (delayed requeues do not count)."""
    return all(
        len(c.queue) == 0 and c.queue.longest_running_processor_seconds() == 0.0
        for c in manager.controllers
    )


def wait_idle(manager: Manager, timeout: float) -> None:
    """Wait until every reconcile in flight has finished and nothing new was queued."""

    def settled() -> bool:
        if not controllers_idle(manager):
            return False
        time.sleep(0.5)  # a watch event from the last writes may still be on its way
        return controllers_idle(manager)

    wait_until(settled, timeout, "the controllers to finish every queued reconcile")


class Kube:
    """Small typed helpers over the custom objects and Secrets of one test."""

    def __init__(self, endpoint: ControlPlaneEndpoint) -> None:
        self.api_client = endpoint.api_client()
        self.custom = k8s.CustomObjectsApi(self.api_client)
        self.core = k8s.CoreV1Api(self.api_client)
        self._lock = threading.Lock()

    def namespace(self, name: str, labels: dict[str, str] | None = None) -> str:
        self.core.create_namespace(
            k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name, labels=labels))
        )
        return name

    def secret(self, namespace: str, name: str, data: dict[str, str]) -> None:
        encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
        self.core.create_namespaced_secret(
            namespace, k8s.V1Secret(metadata=k8s.V1ObjectMeta(name=name), data=encoded)
        )

    def secret_data(self, namespace: str, name: str) -> dict[str, str] | None:
        try:
            secret = self.core.read_namespaced_secret(name, namespace)
        except k8s.ApiException as error:
            if error.status == 404:
                return None
            raise
        return {k: base64.b64decode(v).decode() for k, v in (secret.data or {}).items()}

    def create(self, plural: str, namespace: str, body: dict[str, Any]) -> None:
        self.custom.create_namespaced_custom_object(*GROUP_VERSION, namespace, plural, body)

    def get(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            obj = self.custom.get_namespaced_custom_object(*GROUP_VERSION, namespace, plural, name)
        except k8s.ApiException as error:
            if error.status == 404:
                return None
            raise
        assert isinstance(obj, dict)
        return obj

    def patch(self, plural: str, namespace: str, name: str, body: dict[str, Any]) -> None:
        self.custom.patch_namespaced_custom_object(*GROUP_VERSION, namespace, plural, name, body)

    def delete(self, plural: str, namespace: str, name: str) -> None:
        self.custom.delete_namespaced_custom_object(*GROUP_VERSION, namespace, plural, name)

    def condition(self, plural: str, namespace: str, name: str, type_: str = "Ready") -> Any:
        obj = self.get(plural, namespace, name) or {}
        for condition in (obj.get("status") or {}).get("conditions") or []:
            if condition["type"] == type_:
                return condition
        return None

    def is_ready(self, plural: str, namespace: str, name: str) -> bool:
        obj = self.get(plural, namespace, name) or {}
        ready = self.condition(plural, namespace, name)
        generation = (obj.get("metadata") or {}).get("generation")
        return bool(
            ready
            and ready["status"] == "True"
            and ready.get("observedGeneration") == generation
            and (obj.get("status") or {}).get("observedGeneration") == generation
        )

    def reason(self, plural: str, namespace: str, name: str) -> str | None:
        ready = self.condition(plural, namespace, name)
        return str(ready["reason"]) if ready else None


def keycloak_object(
    name: str, keycloak: KeycloakEndpoint | str, secret: str, **spec: Any
) -> dict[str, Any]:
    url = keycloak if isinstance(keycloak, str) else keycloak.base_url
    return {
        "apiVersion": "keycloak-controller.dev/v1alpha1",
        "kind": "Keycloak",
        "metadata": {"name": name},
        "spec": {
            "external": {"url": url},
            "auth": {
                "passwordGrant": {
                    "usernameSecretRef": {"name": secret, "key": "username"},
                    "passwordSecretRef": {"name": secret, "key": "password"},
                }
            },
            **spec,
        },
    }


def realm_object(name: str, keycloak: str, realm_name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "keycloak-controller.dev/v1alpha1",
        "kind": "KeycloakRealm",
        "metadata": {"name": name},
        "spec": {"keycloakRef": {"name": keycloak}, "realmName": realm_name, **spec},
    }


def client_object(name: str, realm: str, client_id: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "keycloak-controller.dev/v1alpha1",
        "kind": "KeycloakClient",
        "metadata": {"name": name},
        "spec": {"realmRef": {"name": realm}, "clientId": client_id, **spec},
    }


def user_object(name: str, realm: str, username: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "keycloak-controller.dev/v1alpha1",
        "kind": "KeycloakUser",
        "metadata": {"name": name},
        "spec": {"realmRef": {"name": realm}, "username": username, **spec},
    }


def log_in(endpoint: KeycloakEndpoint, realm: str, username: str, password: str) -> Any:
    """A direct-grant token request on the test's public client: the token's claims, or
    None when Keycloak refuses the credentials."""
    response = requests.post(
        f"{endpoint.base_url}/realms/{realm}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "login",
            "username": username,
            "password": password,
        },
        timeout=30,
    )
    if response.status_code in (400, 401):
        return None
    response.raise_for_status()
    payload = response.json()["access_token"].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@dataclass(frozen=True)
class ReadyRealm:
    """A Keycloak CR and a KeycloakRealm CR on it, both Ready, in one namespace."""

    namespace: str
    realm_name: str  # the realm's name in Keycloak
    keycloak: str = "kc"  # the Keycloak CR, reading the Secret `admin`
    realm: str = "realm"  # the KeycloakRealm CR


def create_ready_realm(
    kube: Kube,
    namespace: str,
    keycloak: KeycloakEndpoint,
    realm_name: str,
    *,
    timeout: float,
    **realm_spec: Any,
) -> ReadyRealm:
    """The admin Secret, the Keycloak CR (Ready), then the KeycloakRealm CR (Ready).

    The controllers must be running for `namespace`.
    """
    made = ReadyRealm(namespace, realm_name)
    credentials = {"username": keycloak.admin_username, "password": keycloak.admin_password}
    kube.secret(namespace, "admin", credentials)
    kube.create("keycloaks", namespace, keycloak_object(made.keycloak, keycloak, "admin"))
    wait_until(lambda: kube.is_ready("keycloaks", namespace, made.keycloak), timeout, "Keycloak")
    realm = realm_object(made.realm, made.keycloak, realm_name, **realm_spec)
    kube.create("keycloakrealms", namespace, realm)
    wait_until(lambda: kube.is_ready("keycloakrealms", namespace, made.realm), timeout, "realm")
    return made


def keycloak_requests(instance: str, *, writes_only: bool = False) -> float:
    """Admin API requests the controllers sent to the Keycloak CR `instance` (ns/name)."""
    total = 0.0
    for metric in REQUESTS.collect():
        for sample in metric.samples:
            if not sample.name.endswith("_total") or sample.labels.get("instance") != instance:
                continue
            if writes_only and sample.labels.get("method") == "GET":
                continue
            total += sample.value
    return total
