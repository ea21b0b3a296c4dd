"""docs/: the generated CRD reference is current; monitoring uses real metric names and labels."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest
import yaml
from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

from keycloak_controller.api import KINDS
from keycloak_controller.api.crd import crd
from keycloak_controller.keycloak import metrics as keycloak_metrics
from keycloak_controller.runtime.metrics import Metrics

from .manifests import REPO

DOCS = REPO / "docs"
MONITORING = DOCS / "monitoring"
# Labels Prometheus itself attaches to every scraped series (target labels).
TARGET_LABELS = {"job", "pod", "namespace", "service", "endpoint", "container", "instance"}
PREFIXES = "controller_runtime|workqueue|leader_election|keycloak_client|rest_client"
METRIC = re.compile(rf"\b((?:{PREFIXES})_[a-z_]+)")


def defined_metrics() -> dict[str, tuple[str, ...]]:
    """Every series name the code can export, with its labels."""
    collectors: list[MetricWrapperBase] = [
        c for c in vars(Metrics()).values() if isinstance(c, MetricWrapperBase)
    ]
    collectors += [c for c in vars(keycloak_metrics).values() if isinstance(c, MetricWrapperBase)]
    names: dict[str, tuple[str, ...]] = {}
    for collector in collectors:
        base = collector._name
        labels = tuple(collector._labelnames)
        if isinstance(collector, Counter):
            names[f"{base}_total"] = labels
        elif isinstance(collector, Histogram):
            for suffix in ("_bucket", "_sum", "_count"):
                names[base + suffix] = (*labels, "le") if suffix == "_bucket" else labels
        elif isinstance(collector, Gauge):
            names[base] = labels
    return names


def expressions() -> list[tuple[str, str]]:
    rules = yaml.safe_load((MONITORING / "prometheus-rules.yaml").read_text())
    found = [(f"alert {r['alert']}", str(r["expr"])) for g in rules["groups"] for r in g["rules"]]
    dashboard: dict[str, Any] = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            found.append((f"panel {panel['title']}", target["expr"]))
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            found.append((f"variable {variable['name']}", variable["definition"]))
    return found


def test_crd_reference_is_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "hack" / "gen_crd_docs.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def leaf_paths(schema: dict[str, Any], path: str) -> list[str]:
    node, suffix = schema, ""
    if schema.get("type") == "array":
        node, suffix = schema["items"], "[]"
    elif isinstance(schema.get("additionalProperties"), dict):
        node, suffix = schema["additionalProperties"], ".*"
    paths = [path]
    for name, sub in node.get("properties", {}).items():
        paths += leaf_paths(sub, f"{path}{suffix}.{name}")
    return paths


@pytest.mark.parametrize("kind", KINDS, ids=[k.names.kind for k in KINDS])
def test_crd_reference_lists_every_field_with_its_description(kind: Any) -> None:
    text = (DOCS / "crd-reference.md").read_text()
    schema = crd(kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    section = text.split(f"## {kind.names.kind}\n", 1)[1].split("\n## ", 1)[0]
    for part in ("spec", "status"):
        for name, sub in schema["properties"][part]["properties"].items():
            for path in leaf_paths(sub, f"{part}.{name}"):
                assert f"| `{path}` |" in section, path
    assert '| `spec.auth.passwordGrant.clientId` | `string` |  | `"admin-cli"` |' in text


def test_the_metric_extractor_sees_what_it_should() -> None:
    metrics = defined_metrics()
    assert "controller_runtime_reconcile_total" in metrics
    assert "controller_runtime_reconcile_time_seconds_bucket" in metrics
    assert metrics["keycloak_client_circuit_breaker_state"] == ("instance",)
    assert "workqueue_depth_total" not in metrics
    assert METRIC.findall('rate(workqueue_adds_total{a="b"}[5m])') == ["workqueue_adds_total"]


def test_monitoring_uses_only_metrics_the_code_defines() -> None:
    metrics = defined_metrics()
    used = expressions()
    assert len(used) >= 15
    seen: set[str] = set()
    for where, expr in used:
        names = METRIC.findall(expr)
        assert names, f"{where}: no controller metric in {expr!r}"
        for name in names:
            assert name in metrics, f"{where}: {name} is not a metric the controller exports"
        seen.update(names)
        labels = set().union(*(metrics[n] for n in names)) | TARGET_LABELS
        for group in re.findall(r"\bby \(([^)]*)\)", expr):
            for label in (x.strip() for x in group.split(",")):
                assert label in labels, f"{where}: no label {label!r} on {names}"
        for label in re.findall(r"[{,]\s*([a-z_]+)\s*=~?", expr):
            assert label in labels, f"{where}: no label {label!r} on {names}"
    # The alerts the runbook promises are all there.
    for name in (
        "controller_runtime_reconcile_errors_total",
        "workqueue_depth",
        "workqueue_longest_running_processor_seconds",
        "keycloak_client_circuit_breaker_state",
        "leader_election_master_status",
    ):
        assert name in seen, name


def github_anchor(heading: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")


def test_runbook_links_point_at_existing_sections() -> None:
    operations = (DOCS / "operations.md").read_text()
    anchors = {github_anchor(h) for h in re.findall(r"^#+ (.+)$", operations, re.MULTILINE)}
    linked = re.findall(
        r"docs/operations\.md#([a-z0-9-]+)", (MONITORING / "prometheus-rules.yaml").read_text()
    )
    assert linked
    for anchor in linked:
        assert anchor in anchors, anchor
