"""Managed mode's pure parts: rendering the workload, reading a rollout, what to report."""

from __future__ import annotations

from typing import Any

import pytest

from keycloak_controller.api import Keycloak
from keycloak_controller.controllers import managed_render as render
from keycloak_controller.controllers.keycloak_reconciler import managed_waiting
from keycloak_controller.controllers.managed_workload import (
    Workload,
    needs_recreate,
    read_rollout,
)
from keycloak_controller.controllers.reasons import INVALID_SPEC, Problem
from keycloak_controller.keycloak.adapters import adapter_for
from keycloak_controller.keycloak.version import ServerVersion
from keycloak_controller.runtime.objects import KubeObject

UID = "0c1d2e3f-0000-4000-8000-000000000001"
POSTGRES = render.DatabaseTarget(
    "postgres",
    host="db.example.test",
    port=5432,
    database="keycloak",
    username=("db", "username"),
    password=("db", "password"),
    url_properties="?sslmode=require",
    pool={"max-size": 20},
)


def keycloak(**managed: Any) -> Keycloak:
    managed.setdefault("database", {"dev": True})
    return Keycloak.model_validate(
        {
            "apiVersion": "keycloak-controller.dev/v1alpha1",
            "kind": "Keycloak",
            "metadata": {"name": "kc", "namespace": "team", "uid": UID},
            "spec": {"managed": managed},
        }
    )


def inputs(cr: Keycloak, db: render.DatabaseTarget = POSTGRES) -> render.Inputs:
    assert cr.spec.managed is not None
    version = render.desired_version(cr.spec.managed)
    return render.Inputs(
        version=version,
        adapter=adapter_for(version),
        database=db,
        admin_secret="kc-admin",
        replicas=cr.spec.managed.replicas,
        recorded_version=version,
    )


def env_of(cr: Keycloak, db: render.DatabaseTarget = POSTGRES) -> dict[str, Any]:
    return {
        e["name"]: e.get("value", e.get("valueFrom")) for e in render.server_env(cr, inputs(cr, db))
    }


def container(cr: Keycloak) -> dict[str, Any]:
    sts = render.stateful_set(cr, UID, inputs(cr))
    spec: dict[str, Any] = sts["spec"]["template"]["spec"]["containers"][0]
    return spec


def test_default_image_is_the_canonical_version_with_probes_on_the_management_port() -> None:
    cr = keycloak()
    assert cr.spec.managed is not None and cr.spec.managed.image.endswith(":26.7.3")
    c = container(cr)
    assert c["readinessProbe"]["httpGet"]["port"] == 9000
    assert c["startupProbe"]["httpGet"]["path"] == "/health/started"
    assert c["command"] == ["/opt/keycloak/bin/kc.sh"]
    assert c["args"] == ["start-dev"]
    assert {p["name"] for p in c["ports"]} == {"http", "management", "jgroups"}


def test_24_probes_on_the_http_port_and_uses_its_admin_variables_and_dns_discovery() -> None:
    cr = keycloak(
        image="quay.io/keycloak/keycloak:24.0.5",
        database={
            "dev": False,
            "external": {
                "host": "h",
                "usernameSecretRef": {"name": "db", "key": "u"},
                "passwordSecretRef": {"name": "db", "key": "p"},
            },
        },
    )
    c = container(cr)
    assert c["livenessProbe"]["httpGet"]["port"] == 8080
    assert "management" not in {p["name"] for p in c["ports"]}
    env = env_of(cr)
    assert "KC_HTTP_MANAGEMENT_PORT" not in env
    assert env["KEYCLOAK_ADMIN"] == {"secretKeyRef": {"name": "kc-admin", "key": "username"}}
    assert "KC_BOOTSTRAP_ADMIN_USERNAME" not in env
    assert env["KC_CACHE_STACK"] == "kubernetes"
    assert "-Djgroups.dns.query=kc-discovery.team.svc.cluster.local" in env["JAVA_OPTS_APPEND"]


def test_canonical_clusters_through_the_database_and_never_carries_credentials() -> None:
    cr = keycloak(
        database={
            "external": {
                "host": "h",
                "usernameSecretRef": {"name": "db", "key": "u"},
                "passwordSecretRef": {"name": "db", "key": "p"},
            }
        }
    )
    env = env_of(cr)
    assert "KC_CACHE_STACK" not in env and env["KC_CACHE"] == "ispn"
    assert env["KC_DB"] == "postgres" and env["KC_DB_URL_HOST"] == "db.example.test"
    assert env["KC_DB_PASSWORD"] == {"secretKeyRef": {"name": "db", "key": "password"}}
    assert env["KC_DB_URL_PROPERTIES"] == "?sslmode=require"
    assert env["KC_DB_POOL_MAX_SIZE"] == "20"
    assert env["KC_BOOTSTRAP_ADMIN_PASSWORD"] == {
        "secretKeyRef": {"name": "kc-admin", "key": "password"}
    }
    assert container(cr)["args"] == ["start"]


def test_options_features_env_and_jvm_options() -> None:
    cr = keycloak(
        additionalOptions=[
            {"name": "log-level", "value": "debug"},
            {"name": "spi-x-y", "secretKeyRef": {"name": "s", "key": "k"}},
        ],
        features={"enabled": ["token-exchange"], "disabled": ["impersonation"]},
        env=[{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
        jvmOptions=["-Xms512m"],
        proxyHeaders="xforwarded",
        hostname={"hostname": "https://sso.example.test", "strict": True},
    )
    env = env_of(cr)
    assert env["KC_LOG_LEVEL"] == "debug"
    assert env["KC_SPI_X_Y"] == {"secretKeyRef": {"name": "s", "key": "k"}}
    assert env["KC_FEATURES"] == "token-exchange"
    assert env["KC_FEATURES_DISABLED"] == "impersonation"
    assert env["POD_IP"] == {"fieldRef": {"fieldPath": "status.podIP"}}
    assert env["JAVA_OPTS_APPEND"] == "-Xms512m"
    assert env["KC_PROXY_HEADERS"] == "xforwarded"
    assert env["KC_HOSTNAME"] == "https://sso.example.test"
    assert env["KC_HOSTNAME_STRICT"] == "true"


@pytest.mark.parametrize(
    "managed",
    [
        {"env": [{"name": "KC_DB", "value": "mysql"}]},
        {"additionalOptions": [{"name": "http-port", "value": "1"}]},
        {"env": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]},
    ],
)
def test_what_the_controller_sets_cannot_be_overridden(managed: dict[str, Any]) -> None:
    with pytest.raises(Problem) as caught:
        render.server_env(keycloak(**managed), inputs(keycloak(**managed)))
    assert caught.value.reason == INVALID_SPEC


def test_backchannel_dynamic_is_refused_on_hostname_v1() -> None:
    cr = keycloak(image="quay.io/keycloak/keycloak:24.0.5", hostname={"backchannelDynamic": True})
    with pytest.raises(Problem, match="hostname v2"):
        render.server_env(cr, inputs(cr))


@pytest.mark.parametrize(
    ("image", "version"),
    [
        ("quay.io/keycloak/keycloak:26.7.3", ServerVersion(26, 7, 3)),
        ("registry.example.test:5000/kc:25.0.6-custom", ServerVersion(25, 0, 6)),
        ("quay.io/keycloak/keycloak:latest", None),
        ("quay.io/keycloak/keycloak@sha256:abcd", None),
        ("keycloak", None),
    ],
)
def test_image_version(image: str, version: ServerVersion | None) -> None:
    assert render.image_version(image) == version


def test_an_unparseable_tag_needs_the_version_field() -> None:
    with pytest.raises(Problem, match=r"spec\.managed\.version"):
        render.desired_version(keycloak(image="kc:latest").spec.managed)  # type: ignore[arg-type]
    cr = keycloak(image="kc:latest", version="25.0.6")
    assert cr.spec.managed is not None
    assert render.desired_version(cr.spec.managed) == ServerVersion(25, 0, 6)


def test_restricted_security_contexts_and_default_spread() -> None:
    cr = keycloak()
    pod = render.pod_spec(cr, inputs(cr))
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    c = pod["containers"][0]["securityContext"]
    assert c["allowPrivilegeEscalation"] is False and c["capabilities"] == {"drop": ["ALL"]}
    assert pod["topologySpreadConstraints"][0]["topologyKey"] == "kubernetes.io/hostname"


def test_every_object_is_owned_and_optional_ones_appear_on_request() -> None:
    plain = render.render(keycloak(), UID, inputs(keycloak()))
    assert [o["kind"] for o in plain] == [
        "Service",
        "Service",
        "PodDisruptionBudget",
        "StatefulSet",
    ]
    for obj in plain:
        ref = obj["metadata"]["ownerReferences"][0]
        assert ref == {
            "apiVersion": "keycloak-controller.dev/v1alpha1",
            "kind": "Keycloak",
            "name": "kc",
            "uid": UID,
            "controller": True,
            "blockOwnerDeletion": True,
        }
    cr = keycloak(
        ingress={"host": "sso.example.test", "tlsSecret": "sso-tls", "className": "nginx"},
        networkPolicy={"enabled": True, "from": [{"namespaceSelector": {}}]},
        serviceMonitor={"enabled": True},
        podDisruptionBudget={"enabled": False},
        tls={"secretName": "kc-tls"},
    )
    full = {o["kind"]: o for o in render.render(cr, UID, inputs(cr))}
    assert set(full) == {"Service", "Ingress", "NetworkPolicy", "ServiceMonitor", "StatefulSet"}
    assert full["Ingress"]["spec"]["tls"] == [
        {"hosts": ["sso.example.test"], "secretName": "sso-tls"}
    ]
    assert full["Ingress"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"][
        "port"
    ] == {"name": "https"}
    assert full["ServiceMonitor"]["spec"]["endpoints"][0]["port"] == "management"
    c = full["StatefulSet"]["spec"]["template"]["spec"]["containers"][0]
    assert c["readinessProbe"]["httpGet"]["scheme"] == "HTTPS"
    assert render.internal_url(cr) == "https://kc.team.svc:8443"
    assert render.external_url(cr) == "https://sso.example.test"


def _sts(generation: int, **status: Any) -> KubeObject:
    return KubeObject(
        {
            "metadata": {
                "name": "kc",
                "generation": generation,
                "annotations": {render.VERSION_ANNOTATION: "25.0.6"},
            },
            "spec": {"replicas": 2},
            "status": status,
        }
    )


def test_a_rollout_is_complete_only_when_every_pod_runs_the_current_revision() -> None:
    done = {
        "observedGeneration": 3,
        "readyReplicas": 2,
        "updatedReplicas": 2,
        "replicas": 2,
        "currentRevision": "r2",
        "updateRevision": "r2",
    }
    assert read_rollout(_sts(3, **done)).complete
    assert not read_rollout(_sts(4, **done)).complete  # the new spec not seen yet
    assert not read_rollout(_sts(3, **{**done, "currentRevision": "r1"})).complete
    assert not read_rollout(_sts(3, **{**done, "readyReplicas": 1})).complete
    assert not read_rollout(None).complete
    assert read_rollout(_sts(3, **done)).recorded_version == ServerVersion(25, 0, 6)


def test_a_major_upgrade_says_it_recreates() -> None:
    cr = keycloak(image="quay.io/keycloak/keycloak:26.7.3")
    rollout = read_rollout(_sts(3, replicas=2))
    workload = Workload(inputs(cr), 2, rollout, True, ServerVersion.parse("25.0.6"))
    outcome = managed_waiting(workload, rollout)
    assert outcome is not None and outcome.reason == "Upgrading"
    assert "25.0.6 -> 26.7.3" in outcome.message and "no mixed-version" in outcome.message


@pytest.mark.parametrize(
    ("recorded", "desired", "recreate"),
    [
        ("25.0.6", "26.7.3", True),
        ("26.6.1", "26.7.3", True),
        ("26.7.2", "26.7.3", True),
        ("26.7.3", "26.7.3-1", False),  # a rebuilt image of the same release rolls
        (None, "26.7.3", False),  # a first start
    ],
)
def test_any_version_change_recreates_and_the_same_version_rolls(
    recorded: str | None, desired: str, recreate: bool
) -> None:
    old = ServerVersion.parse(recorded) if recorded else None
    assert needs_recreate(old, ServerVersion.parse(desired)) is recreate
