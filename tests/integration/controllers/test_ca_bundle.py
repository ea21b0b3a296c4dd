"""A Keycloak served over HTTPS by a private CA: trusted through spec.caBundle
(from a Secret or a ConfigMap), and refused with a clear condition without it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from kubernetes import client as k8s

from tests.support import certs
from tests.support.config import canonical_keycloak_version
from tests.support.controller_harness import (
    Kube,
    keycloak_object,
    running_controllers,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakServer
from tests.support.process import free_port
from tests.support.shared import SharedEnvironment

TIMEOUT = 120.0


class TlsKeycloakServer(KeycloakServer):
    """KeycloakServer that also serves HTTPS with a certificate from a private CA.

    HTTP stays on (the base class's readiness and ports are unchanged); the
    controller is pointed at the HTTPS port. From 25 on, the management
    interface inherits the HTTPS setting, so readiness is probed over TLS too.
    """

    def __init__(self, version: str, workdir: Path) -> None:
        super().__init__(version, workdir)
        self.pki = certs.generate(workdir / "pki")
        self.https_port = free_port()

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def management_url(self) -> str:
        scheme = "https" if self.major >= 25 else "http"
        return f"{scheme}://127.0.0.1:{self.management_port}"

    @property
    def ca_pem(self) -> str:
        return self.pki.ca_cert.read_text()

    def command(self) -> list[str]:
        return [
            *super().command(),
            f"--https-port={self.https_port}",
            f"--https-certificate-file={self.pki.serving_cert}",
            f"--https-certificate-key-file={self.pki.serving_key}",
        ]

    def _ready(self) -> bool:
        url = f"{self.management_url}/health/ready"
        return requests.get(url, timeout=2, verify=str(self.pki.ca_cert)).status_code == 200


@pytest.fixture(scope="module")
def tls_keycloak(shared_environment: SharedEnvironment) -> Iterator[TlsKeycloakServer]:
    server = TlsKeycloakServer(
        canonical_keycloak_version(),
        shared_environment.run_dir / f"tls-keycloak-{uuid.uuid4().hex[:8]}",
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()


def setup(kube: Kube, ns: str, server: TlsKeycloakServer) -> None:
    kube.secret(ns, "admin", {"username": server.admin_username, "password": server.admin_password})


def test_the_server_really_needs_the_ca(tls_keycloak: TlsKeycloakServer) -> None:
    """Guards the other tests: the system trust store does not trust this server."""
    url = f"{tls_keycloak.base_url}/realms/master"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url, timeout=10)
    assert requests.get(url, timeout=10, verify=str(tls_keycloak.pki.ca_cert)).status_code == 200


def test_ca_bundle_from_a_secret(
    crds: ControlPlaneEndpoint,
    tls_keycloak: TlsKeycloakServer,
    unique_name: Callable[[str], str],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ns"))
    setup(kube, ns, tls_keycloak)
    kube.secret(ns, "keycloak-ca", {"ca.crt": tls_keycloak.ca_pem})
    kube.create(
        "keycloaks",
        ns,
        keycloak_object(
            "kc",
            tls_keycloak.base_url,
            "admin",
            caBundle={"secretKeyRef": {"name": "keycloak-ca", "key": "ca.crt"}},
        ),
    )
    with running_controllers(crds, [ns]):
        wait_until(lambda: kube.is_ready("keycloaks", ns, "kc"), TIMEOUT, "Keycloak Ready")
    assert kube.reason("keycloaks", ns, "kc") == "Connected"
    kc = kube.get("keycloaks", ns, "kc") or {}
    assert kc["status"]["serverVersion"] == tls_keycloak.version


def test_ca_bundle_from_a_config_map(
    crds: ControlPlaneEndpoint,
    tls_keycloak: TlsKeycloakServer,
    unique_name: Callable[[str], str],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ns"))
    setup(kube, ns, tls_keycloak)
    kube.core.create_namespaced_config_map(
        ns,
        k8s.V1ConfigMap(
            metadata=k8s.V1ObjectMeta(name="keycloak-ca"), data={"ca.crt": tls_keycloak.ca_pem}
        ),
    )
    kube.create(
        "keycloaks",
        ns,
        keycloak_object(
            "kc",
            tls_keycloak.base_url,
            "admin",
            caBundle={"configMapKeyRef": {"name": "keycloak-ca", "key": "ca.crt"}},
        ),
    )
    with running_controllers(crds, [ns]):
        wait_until(lambda: kube.is_ready("keycloaks", ns, "kc"), TIMEOUT, "Keycloak Ready")
    assert kube.reason("keycloaks", ns, "kc") == "Connected"


def test_without_a_ca_bundle_verification_fails_clearly_and_recovers(
    crds: ControlPlaneEndpoint,
    tls_keycloak: TlsKeycloakServer,
    unique_name: Callable[[str], str],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ns"))
    setup(kube, ns, tls_keycloak)
    kube.create("keycloaks", ns, keycloak_object("kc", tls_keycloak.base_url, "admin"))
    with running_controllers(crds, [ns]):
        wait_until(
            lambda: (kube.condition("keycloaks", ns, "kc") or {}).get("status") == "False",
            TIMEOUT,
            "Ready=False",
        )
        ready = kube.condition("keycloaks", ns, "kc")
        message = ready["message"].lower()
        assert "tls" in message and "certificate" in message, ready
        assert "cabundle" in message, ready
        # The controller is still working: adding the CA makes it Ready.
        kube.secret(ns, "keycloak-ca", {"ca.crt": tls_keycloak.ca_pem})
        kube.patch(
            "keycloaks",
            ns,
            "kc",
            {"spec": {"caBundle": {"secretKeyRef": {"name": "keycloak-ca", "key": "ca.crt"}}}},
        )
        wait_until(lambda: kube.is_ready("keycloaks", ns, "kc"), TIMEOUT, "Ready with the CA")
    assert kube.reason("keycloaks", ns, "kc") == "Connected"
