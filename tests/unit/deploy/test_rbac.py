"""The RBAC in deploy/: least privilege, no wildcards, bound to the right ServiceAccount."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from .manifests import DEPLOY, Rendered

NAMESPACE = "keycloak-controller-system"
SERVICE_ACCOUNT = "keycloak-controller"
GROUP = "keycloak-controller.dev"
KINDS = ("keycloaks", "keycloakrealms", "keycloakclients", "keycloakusers")

# (apiGroup, resource) -> verbs: the whole grant, nothing more. A rule that is
# added to deploy/ without being added here (and to docs/security.md) fails.
EXPECTED_NAMESPACE_SCOPE: dict[tuple[str, str], set[str]] = {
    **{(GROUP, k): {"get", "list", "watch", "update", "patch"} for k in KINDS},
    **{(GROUP, f"{k}/status"): {"update", "patch"} for k in KINDS},
    (GROUP, "keycloakclients/finalizers"): {"update"},
    (GROUP, "keycloaks/finalizers"): {"update"},
    # Managed mode: the workload a managed Keycloak runs on.
    ("apps", "statefulsets"): {"get", "list", "watch", "create", "update", "patch", "delete"},
    **{
        (group, resource): {"get", "create", "update", "patch", "delete"}
        for group, resource in (
            ("", "services"),
            ("policy", "poddisruptionbudgets"),
            ("networking.k8s.io", "ingresses"),
            ("networking.k8s.io", "networkpolicies"),
            ("monitoring.coreos.com", "servicemonitors"),
        )
    },
    ("", "secrets"): {"get", "list", "watch", "create", "update", "patch", "delete"},
    ("", "configmaps"): {"get", "list", "watch"},
    ("", "events"): {"create", "patch"},
}
EXPECTED_CLUSTER_ONLY: dict[tuple[str, str], set[str]] = {
    ("", "namespaces"): {"get", "list", "watch"},
}
EXPECTED_LEADER_ELECTION: dict[tuple[str, str], set[str]] = {
    ("coordination.k8s.io", "leases"): {"get", "create", "update"},
}


def grants(role: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    """Flatten a role's rules to (group, resource) -> verbs; refuses rules we never use."""
    out: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        assert set(rule) <= {"apiGroups", "resources", "verbs"}, (
            f"{role['metadata']['name']}: unexpected rule keys {sorted(rule)} "
            "(resourceNames/nonResourceURLs are not used by this controller)"
        )
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                out.setdefault((group, resource), set()).update(rule["verbs"])
    return out


def all_yaml_documents() -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in sorted(DEPLOY.rglob("*.yaml")):
        if "samples" in path.parts:
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if isinstance(document, dict):
                found.append((path, document))
    return found


RULE_FIELDS = ("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs")


def wildcards(rule: dict[str, Any]) -> list[str]:
    """Every `*` in a rule, as field=value (covers `*`, `secrets/*` and the like)."""
    return [f"{f}={v}" for f in RULE_FIELDS for v in rule.get(f, []) if "*" in v]


def test_no_wildcards_anywhere_in_deploy() -> None:
    """Parse every YAML file under deploy/ (not only the rendered overlays) for `*`."""
    roles = [(p, d) for p, d in all_yaml_documents() if d.get("kind") in ("Role", "ClusterRole")]
    assert len(roles) >= 3, "expected the leader-election Role, the ClusterRole and the Role"
    for path, role in roles:
        assert "aggregationRule" not in role, f"{path}: aggregated roles grant unknown rules"
        for rule in role["rules"]:
            assert not wildcards(rule), f"{path}: wildcard {wildcards(rule)}"


@pytest.mark.parametrize(
    "rule",
    [
        {"apiGroups": ["*"], "resources": ["secrets"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["*"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["secrets/*"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["*"]},
        {"nonResourceURLs": ["/metrics/*"], "verbs": ["get"]},
    ],
)
def test_the_wildcard_check_can_fail(rule: dict[str, Any]) -> None:
    assert wildcards(rule)


def test_default_grants_exactly_the_expected_rules_cluster_wide(default: Rendered) -> None:
    cluster_role = default.one("ClusterRole", "keycloak-controller")
    assert grants(cluster_role) == {**EXPECTED_NAMESPACE_SCOPE, **EXPECTED_CLUSTER_ONLY}
    binding = default.one("ClusterRoleBinding", "keycloak-controller")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "keycloak-controller",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": NAMESPACE}
    ]
    assert not default.find("RoleBinding", "keycloak-controller")


def test_namespaced_grants_the_same_minus_namespaces_in_its_namespace_only(
    namespaced: Rendered,
) -> None:
    assert not namespaced.find("ClusterRole")
    assert not namespaced.find("ClusterRoleBinding")
    role = namespaced.one("Role", "keycloak-controller")
    assert role["metadata"]["namespace"] == NAMESPACE
    assert grants(role) == EXPECTED_NAMESPACE_SCOPE
    binding = namespaced.one("RoleBinding", "keycloak-controller")
    assert binding["metadata"]["namespace"] == NAMESPACE
    assert binding["roleRef"]["kind"] == "Role"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": NAMESPACE}
    ]


def test_leases_only_in_the_controllers_own_namespace(overlay: Rendered) -> None:
    role = overlay.one("Role", "keycloak-controller-leader-election")
    assert role["metadata"]["namespace"] == NAMESPACE
    assert grants(role) == EXPECTED_LEADER_ELECTION
    binding = overlay.one("RoleBinding", "keycloak-controller-leader-election")
    assert binding["metadata"]["namespace"] == NAMESPACE
    assert binding["roleRef"]["name"] == "keycloak-controller-leader-election"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": NAMESPACE}
    ]
    # No other role mentions leases: in particular not the cluster-wide one.
    for kind in ("Role", "ClusterRole"):
        for other in overlay.find(kind):
            if other is not role:
                assert not any(r == "leases" for _, r in grants(other))


def test_the_service_account_the_pods_run_as_is_the_one_bound(overlay: Rendered) -> None:
    account = overlay.one("ServiceAccount")
    assert account["metadata"] == {
        **account["metadata"],
        "name": SERVICE_ACCOUNT,
        "namespace": NAMESPACE,
    }
    pod = overlay.one("Deployment", "keycloak-controller")["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == SERVICE_ACCOUNT


@pytest.mark.parametrize("verb", ["escalate", "bind", "impersonate", "deletecollection"])
def test_no_dangerous_verbs(overlay: Rendered, verb: str) -> None:
    for kind in ("Role", "ClusterRole"):
        for role in overlay.find(kind):
            for key, verbs in grants(role).items():
                assert verb not in verbs, f"{role['metadata']['name']} grants {verb} on {key}"
