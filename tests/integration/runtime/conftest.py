"""Fixtures and helpers for the runtime's integration tests.

With `--import-mode=importlib` test modules cannot import siblings, so the
helpers are handed out as fixtures: `rt` is this module's helper namespace.
"""

from __future__ import annotations

import contextlib
import threading
import time
import types
from collections.abc import Callable, Iterator

import pytest
from kubernetes import client as k8s

from keycloak_controller.runtime.objects import KubeObject
from tests.support.controlplane import ControlPlaneEndpoint


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll for a condition; the timeout is a failure bound, not a measurement."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def configuration(endpoint: ControlPlaneEndpoint) -> k8s.Configuration:
    cfg = k8s.Configuration()
    cfg.host = endpoint.host
    cfg.ssl_ca_cert = endpoint.ca_cert
    cfg.cert_file = endpoint.admin_cert
    cfg.key_file = endpoint.admin_key
    return cfg


def make_namespace(endpoint: ControlPlaneEndpoint, name: str) -> None:
    k8s.CoreV1Api(endpoint.api_client()).create_namespace(
        k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name))
    )


def create_cm(core: k8s.CoreV1Api, namespace: str, name: str, value: str = "0") -> None:
    core.create_namespaced_config_map(
        namespace,
        k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name=name), data={"value": value}),
    )


def update_cm(core: k8s.CoreV1Api, namespace: str, name: str, value: str) -> None:
    core.patch_namespaced_config_map(name, namespace, {"data": {"value": value}})


def delete_cm(core: k8s.CoreV1Api, namespace: str, name: str) -> None:
    core.delete_namespaced_config_map(name, namespace)


class RecordingHandler:
    """Records informer notifications; can block the reflector thread on demand."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.adds: list[str] = []
        self.updates: list[tuple[str, str]] = []  # (key, data.value)
        self.deletes: list[str] = []
        self.block_on: str | None = None
        self.blocked = threading.Event()
        self.release = threading.Event()

    def _maybe_block(self, obj: KubeObject) -> None:
        if self.block_on is not None and obj.name == self.block_on:
            self.block_on = None
            self.blocked.set()
            self.release.wait(120)

    def on_add(self, obj: KubeObject) -> None:
        with self.lock:
            self.adds.append(obj.key)
        self._maybe_block(obj)

    def on_update(self, old: KubeObject, new: KubeObject) -> None:
        with self.lock:
            self.updates.append((new.key, str(new.get("data", "value"))))

    def on_delete(self, obj: KubeObject) -> None:
        with self.lock:
            self.deletes.append(obj.key)


@pytest.fixture
def rt() -> types.SimpleNamespace:
    return types.SimpleNamespace(
        wait_until=wait_until,
        configuration=configuration,
        make_namespace=make_namespace,
        create_cm=create_cm,
        update_cm=update_cm,
        delete_cm=delete_cm,
        RecordingHandler=RecordingHandler,
    )


@pytest.fixture
def namespace(
    control_plane: ControlPlaneEndpoint, unique_name: Callable[[str], str]
) -> Iterator[str]:
    name = unique_name("rt")
    make_namespace(control_plane, name)
    yield name
    with contextlib.suppress(k8s.ApiException):
        k8s.CoreV1Api(control_plane.api_client()).delete_namespace(name)
