"""deploy/ renders with kubectl's kustomize and fits together: CRDs, namespace, wiring."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from .manifests import DEPLOY, REPO, Rendered, kubectl, kustomize

NAMESPACE = "keycloak-controller-system"
CRD_COPIES = DEPLOY / "base" / "crds"


def relative(target: Path, start: Path) -> str:
    """kustomize refuses absolute resource paths; relative ones may leave the root."""
    return os.path.relpath(target, start)


CLUSTER_SCOPED = {"Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"}


def test_crd_copies_match_crds_directory() -> None:
    committed = sorted(p.name for p in (REPO / "crds").glob("*.yaml"))
    copies = sorted(p.name for p in CRD_COPIES.glob("*.yaml") if p.name != "kustomization.yaml")
    assert copies == committed
    for name in committed:
        assert (CRD_COPIES / name).read_bytes() == (REPO / "crds" / name).read_bytes(), (
            f"deploy/base/crds/{name} differs from crds/{name}; "
            "run `python hack/gen_crds.py --out deploy/base/crds`"
        )
    listed = yaml.safe_load((CRD_COPIES / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == committed


def test_every_overlay_installs_every_crd(overlay: Rendered) -> None:
    crds = overlay.find("CustomResourceDefinition")
    assert sorted(c["metadata"]["name"] for c in crds) == [
        "keycloakclients.keycloak-controller.dev",
        "keycloakrealms.keycloak-controller.dev",
        "keycloaks.keycloak-controller.dev",
        "keycloakusers.keycloak-controller.dev",
    ]
    for crd in crds:
        assert "namespace" not in crd["metadata"]


def test_everything_namespaced_lands_in_the_controller_namespace(overlay: Rendered) -> None:
    assert overlay.one("Namespace")["metadata"]["name"] == NAMESPACE
    for document in overlay.documents:
        if document["kind"] in CLUSTER_SCOPED:
            assert "namespace" not in document["metadata"], document["metadata"]["name"]
        else:
            assert document["metadata"].get("namespace") == NAMESPACE, document["kind"]


def test_overlays_hold_the_expected_kinds(default: Rendered, namespaced: Rendered) -> None:
    common = {
        "Namespace",
        "CustomResourceDefinition",
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
    }
    assert default.kinds == common | {"ClusterRole", "ClusterRoleBinding"}
    assert namespaced.kinds == common


def test_service_and_pdb_select_the_controller_pods(overlay: Rendered) -> None:
    deployment = overlay.one("Deployment", "keycloak-controller")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    port_names = {p["name"]: p["containerPort"] for p in container["ports"]}

    service = overlay.one("Service", "keycloak-controller-metrics")
    assert service["spec"]["selector"].items() <= pod_labels.items()
    [port] = service["spec"]["ports"]
    assert port["targetPort"] in port_names

    pdb = overlay.one("PodDisruptionBudget", "keycloak-controller")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    # A drain may take one replica, never the last one.
    assert 0 < pdb["spec"]["minAvailable"] < deployment["spec"]["replicas"]


def test_servicemonitor_component_scrapes_the_metrics_service(tmp_path: Path) -> None:
    # An overlay like a user would write, outside the repository, using the component.
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "resources": [relative(DEPLOY / "default", tmp_path)],
                "components": [relative(DEPLOY / "components" / "servicemonitor", tmp_path)],
            }
        )
    )
    rendered = kustomize(tmp_path)
    monitor = rendered.one("ServiceMonitor", "keycloak-controller")
    assert monitor["metadata"]["namespace"] == NAMESPACE
    service = rendered.one("Service", "keycloak-controller-metrics")
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    assert endpoint["honorLabels"] is True


def test_an_outer_overlay_can_move_the_namespaced_variant(tmp_path: Path) -> None:
    """`namespace: team-a` over deploy/namespaced moves every object and binding subject."""
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {"namespace": "team-a", "resources": [relative(DEPLOY / "namespaced", tmp_path)]}
        )
    )
    rendered = kustomize(tmp_path)
    assert rendered.one("Namespace")["metadata"]["name"] == "team-a"
    for binding in rendered.find("RoleBinding"):
        assert binding["metadata"]["namespace"] == "team-a"
        assert [s["namespace"] for s in binding["subjects"]] == ["team-a"]


def test_kubectl_kustomize_refuses_files_outside_the_root(tmp_path: Path) -> None:
    """Why deploy/base/crds holds copies: kustomize will not read ../../crds/*.yaml."""
    (tmp_path / "inner").mkdir()
    (tmp_path / "x.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    (tmp_path / "inner" / "kustomization.yaml").write_text("resources: [../x.yaml]\n")
    done = subprocess.run(
        [str(kubectl()), "kustomize", str(tmp_path / "inner")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "is not in or below" in done.stderr
