"""deploy/components/network-policy, rendered by kubectl kustomize, on the real apiserver.

The overlay is the one docs/operations.md shows (its paths pointed at deploy/,
moved into a fresh namespace), so the documented patch is what is tested. Only
the NetworkPolicy is applied (the rest of deploy/default is test_apply.py's, and
its cluster-wide objects are shared). The checks read the rendered Deployment
and Service: the policy must select the controller Pods and admit exactly the
ports their probes and the metrics Service use, so a port change in deploy/base
fails here. No CNI runs here, so nothing proves that traffic is blocked.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client as k8s

from tests.support.config import REPO_ROOT, kube_binaries
from tests.support.controlplane import ControlPlaneEndpoint

DEPLOY = REPO_ROOT / "deploy"
COMPONENT = DEPLOY / "components" / "network-policy"
OPERATIONS = REPO_ROOT / "docs" / "operations.md"
POLICY = "keycloak-controller"


def documented_overlay() -> dict[str, Any]:
    """The overlay docs/operations.md gives to copy."""
    blocks = re.findall(r"```yaml\n(.*?)```", OPERATIONS.read_text(), flags=re.S)
    (overlay,) = [b for b in blocks if "components/network-policy" in b]
    parsed = yaml.safe_load(overlay)
    assert isinstance(parsed, dict)
    return parsed


def render(tmp_path: Path, overlay: dict[str, Any], namespace: str) -> list[dict[str, Any]]:
    """The overlay as if it sat in deploy/<overlay>/, moved into `namespace`."""
    as_if_in = DEPLOY / "overlay"

    def moved(path: str) -> str:
        return os.path.relpath((as_if_in / path).resolve(), tmp_path)

    body = {
        **overlay,
        "namespace": namespace,
        "resources": [moved(p) for p in overlay.get("resources", [])],
        "components": [moved(p) for p in overlay.get("components", [])],
    }
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(body))
    done = subprocess.run(
        [str(kube_binaries().kubectl), "kustomize", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def one(documents: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def server_side_apply(
    endpoint: ControlPlaneEndpoint, document: dict[str, Any], *dry_run: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(kube_binaries().kubectl),
            "--kubeconfig",
            endpoint.kubeconfig,
            "apply",
            "--server-side",
            "--field-manager=keycloak-controller-tests",
            *dry_run,
            "-f",
            "-",
        ],
        input=yaml.safe_dump(document),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def served_ports(deployment: dict[str, Any], service: dict[str, Any]) -> set[int]:
    """The container ports the probes and the metrics Service reach, as numbers."""
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    by_name = {p["name"]: p["containerPort"] for p in container.get("ports", [])}

    def number(port: int | str) -> int:
        return port if isinstance(port, int) else by_name[port]

    probes = ("livenessProbe", "readinessProbe", "startupProbe")
    used = {number(container[p]["httpGet"]["port"]) for p in probes if p in container}
    used |= {number(p["targetPort"]) for p in service["spec"]["ports"]}
    # The one HTTP server's bind address (--metrics-bind-address=:8080).
    for arg in container.get("args", []):
        if arg.startswith("--metrics-bind-address="):
            used.add(int(arg.rsplit(":", 1)[1]))
    return used


def test_the_documented_overlay_renders_a_policy_that_fits_the_deployment(
    control_plane: ControlPlaneEndpoint, unique_name: Callable[[str], str], tmp_path: Path
) -> None:
    namespace = unique_name("kc-netpol")
    documents = render(tmp_path, documented_overlay(), namespace)
    policy = one(documents, "NetworkPolicy", POLICY)
    deployment = one(documents, "Deployment", "keycloak-controller")
    service = one(documents, "Service", "keycloak-controller-metrics")
    assert policy["metadata"]["namespace"] == deployment["metadata"]["namespace"] == namespace

    # It selects the controller Pods (and only through labels they carry).
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = policy["spec"]["podSelector"]
    assert set(selector) == {"matchLabels"}
    assert selector["matchLabels"].items() <= pod_labels.items()
    assert selector["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    assert sorted(policy["spec"]["policyTypes"]) == ["Egress", "Ingress"]

    # Ingress: exactly the ports the probes and metrics use, each a container port.
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    by_name = {p["name"]: p["containerPort"] for p in container["ports"]}
    (ingress,) = policy["spec"]["ingress"]
    named = {p["port"] for p in ingress["ports"] if isinstance(p["port"], str)}
    assert named <= by_name.keys(), f"the policy names ports the container lacks: {named}"
    assert "from" not in ingress  # scrapers and kubelets differ by cluster
    admitted = {
        p["port"] if isinstance(p["port"], int) else by_name[p["port"]] for p in ingress["ports"]
    }
    assert admitted == served_ports(deployment, service)
    assert {p["protocol"] for p in ingress["ports"]} == {"TCP"}

    # Egress: DNS, then the apiserver and Keycloak as the documented patch set them.
    dns, apiserver, keycloak = policy["spec"]["egress"]
    assert {(p["port"], p["protocol"]) for p in dns["ports"]} == {(53, "UDP"), (53, "TCP")}
    assert dns["to"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "kube-system"
    }
    assert apiserver["to"] == [{"ipBlock": {"cidr": "10.20.0.0/28"}}]
    assert {p["port"] for p in apiserver["ports"]} == {443, 6443}
    assert keycloak["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "identity"}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "keycloak"}},
        }
    ]
    assert {p["port"] for p in keycloak["ports"]} == {8080, 8443}

    # The real apiserver accepts it (its validation of ports, CIDRs and selectors),
    # and stores what was rendered.
    k8s.CoreV1Api(control_plane.api_client()).create_namespace(
        k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=namespace))
    )
    applied = server_side_apply(control_plane, policy)
    assert applied.returncode == 0, applied.stderr
    stored = k8s.NetworkingV1Api(control_plane.api_client()).read_namespaced_network_policy(
        POLICY, namespace
    )
    assert stored.spec.pod_selector.match_labels == selector["matchLabels"]
    assert [p.port for p in stored.spec.ingress[0].ports] == [p["port"] for p in ingress["ports"]]
    assert stored.spec.egress[1].to[0].ip_block.cidr == "10.20.0.0/28"


def test_the_component_as_shipped_is_accepted_and_a_bad_patch_is_not(
    control_plane: ControlPlaneEndpoint, unique_name: Callable[[str], str], tmp_path: Path
) -> None:
    """Unpatched it is valid too; a CIDR typo in the overlay fails at the apiserver."""
    namespace = unique_name("kc-netpol")
    k8s.CoreV1Api(control_plane.api_client()).create_namespace(
        k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=namespace))
    )
    shipped = {"resources": ["../default"], "components": ["../components/network-policy"]}
    policy = one(render(tmp_path, shipped, namespace), "NetworkPolicy", POLICY)
    accepted = server_side_apply(control_plane, policy, "--dry-run=server")
    assert accepted.returncode == 0, accepted.stderr

    policy["spec"]["egress"][1]["to"][0]["ipBlock"]["cidr"] = "10.20.0.0/33"
    refused = server_side_apply(control_plane, policy, "--dry-run=server")
    assert refused.returncode != 0
    assert "cidr" in refused.stderr.lower(), refused.stderr
