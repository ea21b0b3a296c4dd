"""`kubectl apply -k deploy/...` on the real apiserver; its RBAC through the real authorizer.

The apply is real (not a dry run), with kubectl's default strict field
validation, so a misspelt field anywhere in deploy/ fails here. The local
control plane has no kubelet and no controller-manager: the Deployment is
stored but never gets Pods, which is all these tests need.

The apiserver is shared with tests running in parallel: the CRDs are applied
with exactly the content install_crds() uses (so concurrent installs agree),
the fixed namespace keycloak-controller-system is only ever applied (never
deleted), and applying twice is part of the test.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from kubernetes import client as k8s

from tests.support.config import REPO_ROOT, kube_binaries
from tests.support.controlplane import ControlPlaneEndpoint

DEPLOY = REPO_ROOT / "deploy"
NAMESPACE = "keycloak-controller-system"
SERVICE_ACCOUNT = "keycloak-controller"
CRDS = (
    "keycloaks.keycloak-controller.dev",
    "keycloakrealms.keycloak-controller.dev",
    "keycloakclients.keycloak-controller.dev",
    "keycloakusers.keycloak-controller.dev",
)


def kubectl(endpoint: ControlPlaneEndpoint, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(kube_binaries().kubectl), "--kubeconfig", endpoint.kubeconfig, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def apply(endpoint: ControlPlaneEndpoint, directory: Path) -> str:
    """`kubectl apply -k`, retried when a concurrent writer wins a race (409)."""
    for attempt in range(5):
        done = kubectl(endpoint, "apply", "-k", str(directory))
        if done.returncode == 0:
            return done.stdout
        if "the object has been modified" not in done.stderr or attempt == 4:
            break
        time.sleep(0.5)
    raise AssertionError(f"kubectl apply -k {directory} failed:\n{done.stderr}")


def can(
    endpoint: ControlPlaneEndpoint,
    namespace_of_account: str,
    verb: str,
    resource: str,
    *,
    namespace: str | None = None,
    group: str = "",
    subresource: str = "",
) -> bool:
    """What the RBAC authorizer answers for the controller's ServiceAccount."""
    review = k8s.V1SubjectAccessReview(
        spec=k8s.V1SubjectAccessReviewSpec(
            user=f"system:serviceaccount:{namespace_of_account}:{SERVICE_ACCOUNT}",
            groups=[
                "system:serviceaccounts",
                f"system:serviceaccounts:{namespace_of_account}",
                "system:authenticated",
            ],
            resource_attributes=k8s.V1ResourceAttributes(
                verb=verb,
                group=group,
                resource=resource,
                subresource=subresource or None,
                namespace=namespace,
            ),
        )
    )
    api = k8s.AuthorizationV1Api(endpoint.api_client())
    answer = api.create_subject_access_review(review)
    return bool(answer.status.allowed)


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    """RBAC changes reach the authorizer through an informer: allow it a moment."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_apply_default_creates_everything_and_is_idempotent(
    control_plane: ControlPlaneEndpoint,
) -> None:
    apply(control_plane, DEPLOY / "default")
    second = apply(control_plane, DEPLOY / "default")
    lines = [line for line in second.splitlines() if line.strip()]
    assert lines and not [line for line in lines if line.endswith(" created")], second

    done = kubectl(
        control_plane,
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        *(f"crd/{name}" for name in CRDS),
    )
    assert done.returncode == 0, done.stderr

    api = control_plane.api_client()
    core, apps = k8s.CoreV1Api(api), k8s.AppsV1Api(api)
    rbac, policy = k8s.RbacAuthorizationV1Api(api), k8s.PolicyV1Api(api)
    assert (
        core.read_namespace(NAMESPACE).metadata.labels["pod-security.kubernetes.io/enforce"]
        == "restricted"
    )
    assert core.read_namespaced_service_account(SERVICE_ACCOUNT, NAMESPACE)
    assert rbac.read_cluster_role("keycloak-controller").rules
    assert rbac.read_cluster_role_binding("keycloak-controller").subjects[0].namespace == NAMESPACE
    assert rbac.read_namespaced_role("keycloak-controller-leader-election", NAMESPACE)
    assert rbac.read_namespaced_role_binding("keycloak-controller-leader-election", NAMESPACE)
    deployment = apps.read_namespaced_deployment("keycloak-controller", NAMESPACE)
    assert deployment.spec.replicas == 2
    container = deployment.spec.template.spec.containers[0]
    assert container.args[:2] == ["run", "--leader-elect"]
    assert container.security_context.read_only_root_filesystem is True
    # Stored as written: no kubelet here, so no Pods and no ready replicas.
    assert not deployment.status.ready_replicas
    service = core.read_namespaced_service("keycloak-controller-metrics", NAMESPACE)
    assert service.spec.ports[0].port == 8080
    assert policy.read_namespaced_pod_disruption_budget("keycloak-controller", NAMESPACE)


def test_default_rbac_through_the_real_authorizer(
    control_plane: ControlPlaneEndpoint, unique_name: Callable[[str], str]
) -> None:
    apply(control_plane, DEPLOY / "default")
    other = unique_name("tenant")  # any namespace: the ClusterRoleBinding covers all
    group = "keycloak-controller.dev"

    def allowed(verb: str, resource: str, namespace: str | None = other, **kw: str) -> bool:
        return can(control_plane, NAMESPACE, verb, resource, namespace=namespace, **kw)

    assert eventually(lambda: allowed("watch", "keycloakclients", group=group))
    for verb in ("get", "list", "watch", "update", "patch"):
        assert allowed(verb, "keycloakrealms", group=group), verb
    assert allowed("update", "keycloaks", group=group, subresource="status")
    assert allowed("watch", "keycloakusers", group=group)
    assert allowed("patch", "keycloakusers", group=group, subresource="status")
    assert allowed("update", "keycloakclients", group=group, subresource="finalizers")
    for verb in ("get", "list", "watch", "create", "update", "patch", "delete"):
        assert allowed(verb, "secrets"), verb
    assert allowed("get", "configmaps")
    assert allowed("list", "namespaces", namespace=None)
    assert allowed("create", "events") and allowed("patch", "events")
    assert allowed("create", "leases", namespace=NAMESPACE, group="coordination.k8s.io")
    assert allowed("update", "leases", namespace=NAMESPACE, group="coordination.k8s.io")

    # And what it must not do.
    assert not allowed("create", "keycloaks", group=group)
    assert not allowed("delete", "keycloakclients", group=group)
    # Managed mode owns objects with blockOwnerDeletion, as clients own their Secrets.
    assert allowed("update", "keycloaks", group=group, subresource="finalizers")
    assert not allowed("update", "keycloakrealms", group=group, subresource="finalizers")
    assert not allowed("delete", "keycloakusers", group=group)
    assert not allowed("deletecollection", "secrets")
    assert not allowed("create", "configmaps")
    assert not allowed("get", "pods")
    assert not allowed("create", "pods", subresource="exec")
    assert not allowed("delete", "events")
    assert not allowed("update", "namespaces", namespace=None)
    assert not allowed("create", "leases", group="coordination.k8s.io")  # not its namespace
    assert not allowed("delete", "leases", namespace=NAMESPACE, group="coordination.k8s.io")
    assert not allowed("list", "leases", namespace=NAMESPACE, group="coordination.k8s.io")
    assert not allowed("create", "clusterrolebindings", None, group="rbac.authorization.k8s.io")
    assert not allowed("escalate", "roles", group="rbac.authorization.k8s.io")
    assert not allowed("update", "customresourcedefinitions", None, group="apiextensions.k8s.io")


def test_namespaced_variant_in_its_own_namespace(
    control_plane: ControlPlaneEndpoint, unique_name: Callable[[str], str], tmp_path: Path
) -> None:
    """deploy/namespaced moved into a fresh namespace by an outer overlay, as a team would."""
    namespace = unique_name("kc-team")
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "namespace": namespace,
                "resources": [os.path.relpath(DEPLOY / "namespaced", tmp_path)],
            }
        )
    )
    apply(control_plane, tmp_path)

    apps = k8s.AppsV1Api(control_plane.api_client())
    deployment = apps.read_namespaced_deployment("keycloak-controller", namespace)
    container = deployment.spec.template.spec.containers[0]
    assert "--namespaces=$(POD_NAMESPACE)" in container.args

    def allowed(verb: str, resource: str, where: str | None, **kw: str) -> bool:
        return can(control_plane, namespace, verb, resource, namespace=where, **kw)

    assert eventually(lambda: allowed("get", "secrets", namespace))
    assert allowed("watch", "keycloakclients", namespace, group="keycloak-controller.dev")
    assert allowed("update", "leases", namespace, group="coordination.k8s.io")
    # Nothing outside its namespace, and no cluster-scoped reads.
    assert not allowed("get", "secrets", "default")
    assert not allowed("list", "secrets", None)
    assert not allowed("watch", "keycloakclients", None, group="keycloak-controller.dev")
    assert not allowed("list", "namespaces", None)
    assert not allowed("update", "leases", NAMESPACE, group="coordination.k8s.io")


@pytest.mark.parametrize("overlay", ["default", "namespaced"])
def test_rendered_crds_are_the_ones_install_crds_applies(overlay: str) -> None:
    """Concurrent installs only agree if deploy/ and install_crds() carry the same CRDs."""
    done = subprocess.run(
        [str(kube_binaries().kubectl), "kustomize", str(DEPLOY / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    rendered = {
        d["metadata"]["name"]: d
        for d in yaml.safe_load_all(done.stdout)
        if d and d["kind"] == "CustomResourceDefinition"
    }
    for path in sorted((REPO_ROOT / "crds").glob("*.yaml")):
        source = yaml.safe_load(path.read_text())
        got = rendered[source["metadata"]["name"]]
        # kustomize adds only the part-of/managed-by labels.
        assert got["spec"] == source["spec"]
        assert set(got["metadata"]) <= {"name", "labels"}
