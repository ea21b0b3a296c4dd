"""The controller Deployment: HA with leader election, probes, resources, a locked-down Pod."""

from __future__ import annotations

import re
from typing import Any

import pytest

from keycloak_controller.runtime.manager import ManagerOptions

from .manifests import Rendered

# The `keycloak-controller run` flags deploy/ uses. The CLI is being written
# alongside; once `run` exists, a test checks its parser accepts exactly these.
RUN_FLAGS = {"--leader-elect", "--metrics-bind-address", "--namespaces"}
HTTP_PORT = 8080


def pod_spec(rendered: Rendered) -> dict[str, Any]:
    spec: dict[str, Any] = rendered.one("Deployment", "keycloak-controller")["spec"]["template"][
        "spec"
    ]
    return spec


def manager(rendered: Rendered) -> dict[str, Any]:
    containers = pod_spec(rendered)["containers"]
    assert [c["name"] for c in containers] == ["manager"]
    container: dict[str, Any] = containers[0]
    return container


def flags(args: list[str]) -> dict[str, str | None]:
    assert args[0] == "run", "the container runs `keycloak-controller run`"
    parsed: dict[str, str | None] = {}
    for arg in args[1:]:
        match = re.fullmatch(r"(--[a-z][a-z0-9-]*)(?:=(.*))?", arg)
        assert match, f"not a --flag[=value] argument: {arg!r}"
        assert match[1] not in parsed, f"{match[1]} given twice"
        parsed[match[1]] = match[2]
    return parsed


def test_two_replicas_with_leader_election(overlay: Rendered) -> None:
    deployment = overlay.one("Deployment", "keycloak-controller")
    assert deployment["spec"]["replicas"] == 2
    given = flags(manager(overlay)["args"])
    assert "--leader-elect" in given and given["--leader-elect"] is None
    # A rollout never takes the only running replica away first.
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_only_known_run_flags(overlay: Rendered) -> None:
    assert set(flags(manager(overlay)["args"])) <= RUN_FLAGS


@pytest.mark.parametrize(
    "args", [["version"], ["run", "-v"], ["run", "--x", "--x"], ["run", "leader-elect"]]
)
def test_flag_parser_rejects_what_it_should(args: list[str]) -> None:
    with pytest.raises(AssertionError):
        flags(args)


def test_metrics_and_probes_share_the_one_http_port(overlay: Rendered) -> None:
    container = manager(overlay)
    assert flags(container["args"])["--metrics-bind-address"] == f":{HTTP_PORT}"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": HTTP_PORT}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"


def test_namespaced_variant_watches_its_own_namespace(
    default: Rendered, namespaced: Rendered
) -> None:
    assert "--namespaces" not in flags(manager(default)["args"])
    assert flags(manager(namespaced)["args"])["--namespaces"] == "$(POD_NAMESPACE)"
    env = {e["name"]: e for e in manager(namespaced)["env"]}
    # $(POD_NAMESPACE) expands only if the variable is defined in the container.
    assert env["POD_NAMESPACE"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    assert env["POD_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}


def test_requests_and_limits(overlay: Rendered) -> None:
    resources = manager(overlay)["resources"]
    for key in ("cpu", "memory"):
        assert key in resources["requests"] and key in resources["limits"]
    # The product target is 150 MB RSS at 5,000 resources: leave room above it.
    assert resources["limits"]["memory"].endswith("Mi")
    assert int(resources["limits"]["memory"][:-2]) >= 256


def test_pod_security(overlay: Rendered) -> None:
    pod = pod_spec(overlay)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 65532  # the image's USER
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC")
    context = manager(overlay)["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["runAsNonRoot"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert not context.get("privileged")


def test_namespace_enforces_the_restricted_pod_security_standard(overlay: Rendered) -> None:
    labels = overlay.one("Namespace")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_graceful_shutdown_outlasts_the_managers_drain(overlay: Rendered) -> None:
    grace = pod_spec(overlay)["terminationGracePeriodSeconds"]
    assert grace > ManagerOptions().graceful_shutdown_timeout


def test_run_accepts_the_deployment_args(overlay: Rendered) -> None:
    from keycloak_controller.cli import build_parser

    parser = build_parser()
    args = [a.replace("$(POD_NAMESPACE)", "team-a") for a in manager(overlay)["args"]]
    parsed = parser.parse_args(args)
    assert parsed.command == "run"
    assert parsed.leader_elect is True
    assert parsed.probe_address == f":{HTTP_PORT}"
    assert parsed.namespaces in ("", "team-a")
