"""Install the generated CRDs from `crds/` into a control plane, idempotently.

CRDs are cluster-scoped and shared by every test, and several xdist workers
may call this at once. Server-side apply with one field manager and `force`
makes concurrent installs of the same content converge instead of conflicting
(a racing create can still answer 409, which is retried), and the Established
wait makes the kinds usable as soon as this returns.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client as k8s

from .config import REPO_ROOT
from .controlplane import ControlPlaneEndpoint

CRD_DIR = REPO_ROOT / "crds"
FIELD_MANAGER = "keycloak-controller-tests"
_TIMEOUT = 60.0

_lock = threading.Lock()
_installed: set[str] = set()


def crd_documents(directory: Path = CRD_DIR) -> list[dict[str, Any]]:
    documents = [yaml.safe_load(p.read_text()) for p in sorted(directory.glob("*.yaml"))]
    if not documents:
        raise FileNotFoundError(f"no CRDs in {directory}; run `make crds`")
    return documents


def install_crds(endpoint: ControlPlaneEndpoint, directory: Path = CRD_DIR) -> list[str]:
    """Apply every CRD in `directory` and wait until all are Established; return their names."""
    documents = crd_documents(directory)
    names = [d["metadata"]["name"] for d in documents]
    with _lock:
        if endpoint.host in _installed:
            return names
        api = k8s.ApiextensionsV1Api(endpoint.api_client())
        for document in documents:
            _apply(api, document)
        for name in names:
            _wait_established(api, name)
        _installed.add(endpoint.host)
    return names


def _apply(api: k8s.ApiextensionsV1Api, document: dict[str, Any]) -> None:
    name = document["metadata"]["name"]
    deadline = time.monotonic() + _TIMEOUT
    while True:
        try:
            api.patch_custom_resource_definition(
                name,
                document,
                field_manager=FIELD_MANAGER,
                force=True,
                _content_type="application/apply-patch+yaml",
            )
            return
        except k8s.ApiException as error:
            # 409: another worker created it between our read and write; 5xx: the
            # apiserver is still settling. Both pass on a retry.
            if error.status not in (409, 429, 500, 503) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _wait_established(api: k8s.ApiextensionsV1Api, name: str) -> None:
    deadline = time.monotonic() + _TIMEOUT
    while time.monotonic() < deadline:
        crd = api.read_custom_resource_definition(name)
        conditions = (crd.status and crd.status.conditions) or []
        if any(c.type == "Established" and c.status == "True" for c in conditions):
            return
        time.sleep(0.1)
    raise TimeoutError(f"CRD {name} was not Established within {_TIMEOUT:.0f}s")
