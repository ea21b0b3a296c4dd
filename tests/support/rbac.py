"""The controller's identity in tests: its ServiceAccount, bound only by the RBAC in deploy/.

`controller_identity(endpoint)` renders `kubectl kustomize deploy/default`, keeps
the identity and RBAC documents (Namespace, ServiceAccount, ClusterRole,
ClusterRoleBinding, Role, RoleBinding; the CRDs are install_crds()'s job),
server-side applies them, asks the TokenRequest API for a token of the
ServiceAccount, and waits until the RBAC authorizer answers for it. The result
builds a `kubernetes.client.Configuration` that authenticates with that bearer
token only: no client certificate, no impersonation, so every request the
controller makes is authorized by deploy/'s rules and nothing else.

`namespaced_identity(endpoint, namespace)` does the same for deploy/namespaced,
moved into `namespace` by an outer overlay (as a team would install it).

The apiserver is shared by parallel xdist workers and every object here except
the namespaced variant's is cluster-wide or in the fixed namespace
keycloak-controller-system: the apply is server-side with one field manager and
--force-conflicts, so concurrent applies of the same content converge, and a
lost create race (409) is retried. Nothing here is ever deleted.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client as k8s

from .config import REPO_ROOT, kube_binaries
from .controlplane import ControlPlaneEndpoint

DEPLOY = REPO_ROOT / "deploy"
SYSTEM_NAMESPACE = "keycloak-controller-system"
SERVICE_ACCOUNT = "keycloak-controller"
FIELD_MANAGER = "keycloak-controller-tests"
RBAC_KINDS = frozenset(
    {"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}
)
TOKEN_SECONDS = 3600
_REFRESH_BEFORE = 900.0  # a new token when less than this is left

_lock = threading.Lock()
_identities: dict[tuple[str, str, str], ControllerIdentity] = {}


@dataclass(frozen=True)
class ControllerIdentity:
    """A ServiceAccount token and where to use it."""

    host: str
    ca_cert: str
    namespace: str  # the ServiceAccount's namespace (where the controller "runs")
    service_account: str
    token: str = field(repr=False)
    expires_at: float = 0.0  # time.monotonic() deadline

    @property
    def username(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{self.service_account}"

    def configuration(self) -> k8s.Configuration:
        cfg = k8s.Configuration()
        cfg.host = self.host
        cfg.ssl_ca_cert = self.ca_cert
        cfg.api_key = {"authorization": self.token}
        cfg.api_key_prefix = {"authorization": "Bearer"}
        return cfg

    def api_client(self) -> k8s.ApiClient:
        return k8s.ApiClient(self.configuration())

    def kubeconfig(self, path: Path) -> Path:
        """A kubeconfig file with this token (for a controller run as a subprocess)."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "local",
                    "cluster": {"server": self.host, "certificate-authority": self.ca_cert},
                }
            ],
            "users": [{"name": self.service_account, "user": {"token": self.token}}],
            "contexts": [
                {
                    "name": "controller",
                    "context": {"cluster": "local", "user": self.service_account},
                }
            ],
            "current-context": "controller",
        }
        path.write_text(yaml.safe_dump(config))
        path.chmod(0o600)
        return path


def render(overlay: str = "default", namespace: str | None = None) -> list[dict[str, Any]]:
    """`kubectl kustomize deploy/<overlay>`, re-namespaced by an outer overlay if asked."""
    kubectl = str(kube_binaries().kubectl)
    with tempfile.TemporaryDirectory() as tmp:
        target = DEPLOY / overlay
        if namespace is not None:
            relative = os.path.relpath(target, tmp)
            (Path(tmp) / "kustomization.yaml").write_text(
                yaml.safe_dump({"namespace": namespace, "resources": [relative]})
            )
            target = Path(tmp)
        done = subprocess.run(
            [kubectl, "kustomize", str(target)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {target} failed:\n{done.stderr}")
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def rbac_documents(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in documents if d.get("kind") in RBAC_KINDS]


def apply(endpoint: ControlPlaneEndpoint, documents: list[dict[str, Any]]) -> None:
    """Server-side apply with --force-conflicts; retried while parallel applies race."""
    kubectl = str(kube_binaries().kubectl)
    manifest = yaml.safe_dump_all(documents)
    command = [
        kubectl,
        "--kubeconfig",
        endpoint.kubeconfig,
        "apply",
        "--server-side",
        "--force-conflicts",
        f"--field-manager={FIELD_MANAGER}",
        "-f",
        "-",
    ]
    for attempt in range(6):
        done = subprocess.run(
            command, input=manifest, capture_output=True, text=True, timeout=60, check=False
        )
        if done.returncode == 0:
            return
        racing = any(
            s in done.stderr for s in ("already exists", "the object has been modified", "409")
        )
        if not racing or attempt == 5:
            break
        time.sleep(0.3 * (attempt + 1))
    raise RuntimeError(f"applying the controller RBAC failed:\n{done.stderr}")


def request_token(
    endpoint: ControlPlaneEndpoint, namespace: str, service_account: str
) -> tuple[str, float]:
    """A bound token from the TokenRequest API (ServiceAccount `namespace/name`)."""
    core = k8s.CoreV1Api(endpoint.api_client())
    started = time.monotonic()
    answer = core.create_namespaced_service_account_token(
        service_account,
        namespace,
        k8s.AuthenticationV1TokenRequest(
            spec=k8s.V1TokenRequestSpec(audiences=[], expiration_seconds=TOKEN_SECONDS)
        ),
    )
    assert answer.status is not None and answer.status.token
    seconds = (answer.spec.expiration_seconds if answer.spec else None) or TOKEN_SECONDS
    return str(answer.status.token), started + float(seconds)


def can_i(
    api_client: k8s.ApiClient,
    verb: str,
    resource: str,
    *,
    namespace: str | None = None,
    group: str = "",
    subresource: str | None = None,
) -> bool:
    """SelfSubjectAccessReview: what the authorizer answers for the caller."""
    review = k8s.V1SelfSubjectAccessReview(
        spec=k8s.V1SelfSubjectAccessReviewSpec(
            resource_attributes=k8s.V1ResourceAttributes(
                verb=verb,
                group=group,
                resource=resource,
                subresource=subresource,
                namespace=namespace,
            )
        )
    )
    answer = k8s.AuthorizationV1Api(api_client).create_self_subject_access_review(review)
    return answer.status is not None and bool(answer.status.allowed)


def _wait_authorized(identity: ControllerIdentity, namespace: str | None) -> None:
    """The RBAC authorizer sees new bindings through an informer: wait for them."""
    api_client = identity.api_client()
    deadline = time.monotonic() + 30.0
    try:
        while not can_i(
            api_client,
            "watch",
            "keycloakclients",
            namespace=namespace,
            group="keycloak-controller.dev",
        ):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{identity.username} was never authorized by its RBAC")
            time.sleep(0.1)
    finally:
        api_client.close()  # type: ignore[no-untyped-call]


def _identity(
    endpoint: ControlPlaneEndpoint, overlay: str, namespace: str | None
) -> ControllerIdentity:
    sa_namespace = namespace or SYSTEM_NAMESPACE
    key = (endpoint.host, overlay, sa_namespace)
    with _lock:
        known = _identities.get(key)
        if known is not None and known.expires_at - time.monotonic() > _REFRESH_BEFORE:
            return known
        if known is None:
            apply(endpoint, rbac_documents(render(overlay, namespace)))
        token, expires_at = request_token(endpoint, sa_namespace, SERVICE_ACCOUNT)
        identity = ControllerIdentity(
            endpoint.host, endpoint.ca_cert, sa_namespace, SERVICE_ACCOUNT, token, expires_at
        )
        if known is None:
            _wait_authorized(identity, sa_namespace)
        _identities[key] = identity
        return identity


def controller_identity(endpoint: ControlPlaneEndpoint) -> ControllerIdentity:
    """The controller as deploy/default installs it (cluster-wide), with a fresh token."""
    return _identity(endpoint, "default", None)


def namespaced_identity(endpoint: ControlPlaneEndpoint, namespace: str) -> ControllerIdentity:
    """The controller as deploy/namespaced installs it, moved into `namespace`."""
    return _identity(endpoint, "namespaced", namespace)
