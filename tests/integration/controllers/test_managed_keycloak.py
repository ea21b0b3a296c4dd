"""Managed mode on a simulated cluster (KWOK) and, for the configuration, on a real PostgreSQL.

The cluster (tests/support/cluster.py) runs the real kube-apiserver,
kube-controller-manager (StatefulSet controller, garbage collector) and
kube-scheduler; KWOK plays the kubelet, so the StatefulSet's Pods are really
created, scheduled, rolled and collected, but no container runs in them.

Where a test needs the Admin API to answer behind the in-cluster Service URL,
it maps that URL to a Keycloak on loopback through the controller's
`ConnectionRegistry.addresses` (the in-cluster Service address -> a local port):
the KWOK tests map it to the shared canonical Keycloak and give the managed
Keycloak that server's admin as its existing admin Secret; the boot tests map it
to the Keycloak they start from the rendered command, args and env.
"""

from __future__ import annotations

import base64
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3
from kubernetes import client as k8s
from kubernetes import watch as k8s_watch

from keycloak_controller.controllers.managed_render import VERSION_ANNOTATION
from keycloak_controller.keycloak.client import KeycloakAdmin
from tests.support import rbac
from tests.support.config import cache_root, keycloak_home
from tests.support.controller_harness import (
    ControllerRun,
    Kube,
    controller_run,
    realm_object,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.crds import install_crds
from tests.support.keycloak_server import KeycloakEndpoint
from tests.support.kstatus import KStatus, compute
from tests.support.postgres import PostgresEndpoint
from tests.support.process import ServerProcess, free_port

KEYCLOAKS = "keycloaks"


def denied(call: Callable[[], Any]) -> bool:
    """True if the apiserver answers 403 Forbidden (any other outcome is not a denial)."""
    try:
        call()
    except k8s.ApiException as error:
        if error.status == 403:
            return True
        raise
    return False


ROLLOUT_TIMEOUT = 120.0


@pytest.fixture(scope="session")
def cluster(simulated_cluster: ControlPlaneEndpoint) -> ControlPlaneEndpoint:
    install_crds(simulated_cluster)
    return simulated_cluster


def managed_object(name: str, **managed: Any) -> dict[str, Any]:
    return {
        "apiVersion": "keycloak-controller.dev/v1alpha1",
        "kind": "Keycloak",
        "metadata": {"name": name},
        "spec": {"managed": managed},
    }


def external_db(secret: str, host: str = "postgres.example.test") -> dict[str, Any]:
    return {
        "external": {
            "host": host,
            "port": 5432,
            "database": "keycloak",
            "usernameSecretRef": {"name": secret, "key": "username"},
            "passwordSecretRef": {"name": secret, "key": "password"},
        }
    }


class Cluster:
    """Reads of the workload objects a managed Keycloak owns."""

    def __init__(self, endpoint: ControlPlaneEndpoint) -> None:
        self.api_client = endpoint.api_client()
        self.apps = k8s.AppsV1Api(self.api_client)
        self.core = k8s.CoreV1Api(self.api_client)

    def stateful_set(self, ns: str, name: str) -> k8s.V1StatefulSet | None:
        try:
            return self.apps.read_namespaced_stateful_set(name, ns)
        except k8s.ApiException as error:
            if error.status == 404:
                return None
            raise

    def service(self, ns: str, name: str) -> k8s.V1Service | None:
        try:
            return self.core.read_namespaced_service(name, ns)
        except k8s.ApiException as error:
            if error.status == 404:
                return None
            raise

    def pods(self, ns: str, name: str) -> list[k8s.V1Pod]:
        selector = f"app.kubernetes.io/instance={name}"
        return list(self.core.list_namespaced_pod(ns, label_selector=selector).items)


@pytest.fixture
def setup(
    cluster: ControlPlaneEndpoint, unique_name: Callable[[str], str]
) -> Iterator[tuple[Kube, Cluster, str]]:
    kube = Kube(cluster)
    ns = kube.namespace(unique_name("managed"))
    yield kube, Cluster(cluster), ns


def map_to(run: ControllerRun, ns: str, name: str, local: str) -> None:
    """The in-cluster Service URL -> a Keycloak on loopback (see the module docstring)."""
    run.controllers.context.connections.addresses[f"http://{name}.{ns}.svc:8080"] = local


def ready(kube: Kube, ns: str, name: str) -> bool:
    obj = kube.get(KEYCLOAKS, ns, name)
    if obj is None:
        return False
    return compute(obj).status is KStatus.CURRENT and kube.is_ready(KEYCLOAKS, ns, name)


def managed_status(kube: Kube, ns: str, name: str) -> dict[str, Any]:
    obj = kube.get(KEYCLOAKS, ns, name) or {}
    return dict((obj.get("status") or {}).get("managed") or {})


class PodLog:
    """Every Pod of one StatefulSet the cluster ever had, with its version, from a watch."""

    def __init__(self, cluster: Cluster, ns: str, name: str) -> None:
        self.events: list[tuple[str, str, str]] = []  # (event, pod uid, version)
        self.stopped = threading.Event()
        self.ended_early = False
        self._watch = k8s_watch.Watch()
        self._thread = threading.Thread(target=self._run, args=(cluster, ns, name), daemon=True)
        self._thread.start()

    def _run(self, cluster: Cluster, ns: str, name: str) -> None:
        try:
            for event in self._watch.stream(
                cluster.core.list_namespaced_pod,
                ns,
                label_selector=f"app.kubernetes.io/instance={name}",
                timeout_seconds=600,
            ):
                pod = event["object"]
                version = (pod.metadata.annotations or {}).get(VERSION_ANNOTATION, "")
                self.events.append((event["type"], pod.metadata.uid, version))
                if self.stopped.is_set():
                    return
        except urllib3.exceptions.ProtocolError:
            pass  # the connection closed under a stopped watch; checked in stop()
        if not self.stopped.is_set():
            self.ended_early = True

    def stop(self) -> None:
        self.stopped.set()
        self._watch.stop()
        assert not self.ended_early, "the pod watch ended before the test stopped it"

    def mixed_versions_seen(self) -> bool:
        """Whether pods of two major versions ever existed at the same time."""
        alive: dict[str, str] = {}
        for kind, uid, version in list(self.events):
            if kind == "DELETED":
                alive.pop(uid, None)
            else:
                alive[uid] = version.split(".")[0]
            if len(set(alive.values())) > 1:
                return True
        return False


def test_rollout_scale_option_change_and_major_upgrade_recreate(
    setup: tuple[Kube, Cluster, str],
    cluster: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
) -> None:
    kube, workload, ns = setup
    kube.secret(ns, "db", {"username": "keycloak", "password": "not-a-real-one"})
    kube.secret(
        ns, "admin", {"username": keycloak.admin_username, "password": keycloak.admin_password}
    )
    spec = {
        "image": "quay.io/keycloak/keycloak:25.0.6",
        "replicas": 2,
        "database": external_db("db"),
        "admin": {"existingSecret": "admin"},
    }
    with controller_run(cluster, [ns]) as run:
        map_to(run, ns, "kc", keycloak.base_url)
        kube.create(KEYCLOAKS, ns, managed_object("kc", **spec))
        wait_until(lambda: ready(kube, ns, "kc"), ROLLOUT_TIMEOUT, "the rollout to Ready")
        status = managed_status(kube, ns, "kc")
        assert status["readyReplicas"] == 2 and status["version"] == "25.0.6"
        assert status["internalUrl"] == f"http://kc.{ns}.svc:8080"
        assert status["database"] == "postgres://postgres.example.test:5432/keycloak"
        assert workload.service(ns, "kc-discovery").spec.cluster_ip == "None"
        # 25 serves health on the management port (ADR-059).
        container = workload.stateful_set(ns, "kc").spec.template.spec.containers[0]
        assert container.readiness_probe.http_get.port == 9000

        kube.patch(KEYCLOAKS, ns, "kc", {"spec": {"managed": {"replicas": 3}}})
        wait_until(
            lambda: (
                managed_status(kube, ns, "kc").get("readyReplicas") == 3 and ready(kube, ns, "kc")
            ),
            ROLLOUT_TIMEOUT,
            "the scale-up to 3 ready pods",
        )
        assert len(workload.pods(ns, "kc")) == 3

        before = {p.metadata.uid for p in workload.pods(ns, "kc")}
        options = [{"name": "log-level", "value": "debug"}]
        kube.patch(KEYCLOAKS, ns, "kc", {"spec": {"managed": {"additionalOptions": options}}})

        def rolled() -> bool:
            pods = workload.pods(ns, "kc")
            return (
                len(pods) == 3
                and not before & {p.metadata.uid for p in pods}
                and ready(kube, ns, "kc")
            )

        wait_until(rolled, ROLLOUT_TIMEOUT, "every pod replaced by the new revision")
        env = workload.stateful_set(ns, "kc").spec.template.spec.containers[0].env
        assert {"KC_LOG_LEVEL": "debug"}.items() <= {e.name: e.value for e in env}.items()

        pods = PodLog(workload, ns, "kc")
        try:
            image = "quay.io/keycloak/keycloak:26.7.3"
            kube.patch(KEYCLOAKS, ns, "kc", {"spec": {"managed": {"image": image}}})
            wait_until(
                lambda: kube.reason(KEYCLOAKS, ns, "kc") == "Upgrading",
                ROLLOUT_TIMEOUT,
                "the major upgrade to be reported",
            )
            wait_until(
                lambda: (
                    managed_status(kube, ns, "kc").get("version") == "26.7.3"
                    and managed_status(kube, ns, "kc").get("readyReplicas") == 3
                    and ready(kube, ns, "kc")
                ),
                ROLLOUT_TIMEOUT,
                "the recreated cluster on 26",
            )
        finally:
            pods.stop()
        assert not pods.mixed_versions_seen(), pods.events
        assert {v for _, _, v in pods.events} >= {"25.0.6", "26.7.3"}


def test_missing_or_wrong_database_secret_stalls_and_fixing_it_recovers(
    setup: tuple[Kube, Cluster, str],
    cluster: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
) -> None:
    kube, workload, ns = setup
    kube.secret(
        ns, "admin", {"username": keycloak.admin_username, "password": keycloak.admin_password}
    )
    spec = {"database": external_db("db"), "admin": {"existingSecret": "admin"}}
    with controller_run(cluster, [ns]) as run:
        map_to(run, ns, "kc", keycloak.base_url)
        kube.create(KEYCLOAKS, ns, managed_object("kc", **spec))
        wait_until(
            lambda: kube.condition(KEYCLOAKS, ns, "kc", "Stalled") is not None,
            60,
            "Stalled for the missing Secret",
        )
        stalled = kube.condition(KEYCLOAKS, ns, "kc", "Stalled")
        assert stalled["reason"] == "SecretNotFound"
        assert f"Secret {ns}/db not found" in stalled["message"]
        assert workload.stateful_set(ns, "kc") is None  # nothing runs on a spec that can't work
        assert compute(kube.get(KEYCLOAKS, ns, "kc") or {}).status is KStatus.FAILED

        kube.secret(ns, "db", {"user": "keycloak", "password": "x"})  # the wrong key
        wait_until(
            lambda: (
                "has no key 'username'"
                in (kube.condition(KEYCLOAKS, ns, "kc", "Stalled") or {}).get("message", "")
            ),
            60,
            "Stalled naming the missing key",
        )

        kube.core.patch_namespaced_secret(
            "db", ns, {"stringData": {"username": "keycloak"}}
        )  # fixed
        wait_until(lambda: ready(kube, ns, "kc"), ROLLOUT_TIMEOUT, "recovery to Ready")
        assert kube.condition(KEYCLOAKS, ns, "kc", "Stalled") is None


@pytest.mark.parametrize("policy", ["Delete", "Retain"])
def test_deletion_collects_or_keeps_the_workload(
    policy: str,
    setup: tuple[Kube, Cluster, str],
    cluster: ControlPlaneEndpoint,
) -> None:
    kube, workload, ns = setup
    kube.secret(ns, "db", {"username": "keycloak", "password": "x"})
    spec = {"database": external_db("db"), "deletionPolicy": policy, "replicas": 2}
    with controller_run(cluster, [ns]):
        kube.create(KEYCLOAKS, ns, managed_object("kc", **spec))
        wait_until(
            lambda: len([p for p in workload.pods(ns, "kc") if p.status.phase == "Running"]) == 2,
            ROLLOUT_TIMEOUT,
            "two running pods",
        )
        assert kube.secret_data(ns, "kc-admin") is not None  # the generated bootstrap admin
        kube.delete(KEYCLOAKS, ns, "kc")
        wait_until(lambda: kube.get(KEYCLOAKS, ns, "kc") is None, 60, "the Keycloak to go")
    if policy == "Delete":
        wait_until(
            lambda: (
                workload.stateful_set(ns, "kc") is None
                and workload.service(ns, "kc") is None
                and workload.service(ns, "kc-discovery") is None
                and not workload.pods(ns, "kc")
                and kube.secret_data(ns, "kc-admin") is None
            ),
            ROLLOUT_TIMEOUT,
            "the garbage collector to remove the workload",
        )
    else:
        sts = workload.stateful_set(ns, "kc")
        assert sts is not None and not sts.metadata.owner_references
        assert not workload.service(ns, "kc").metadata.owner_references
        assert kube.secret_data(ns, "kc-admin") is not None
        assert len(workload.pods(ns, "kc")) == 2


# --- the rendered configuration, booted for real -------------------------------------


def _resolve_env(kube: Kube, ns: str, container: k8s.V1Container) -> dict[str, str]:
    """The container's env as the kubelet would resolve it (secretKeyRef from the Secrets)."""
    out: dict[str, str] = {}
    for item in container.env or []:
        if item.value_from is not None:
            ref = item.value_from.secret_key_ref
            data = kube.secret_data(ns, ref.name)
            assert data is not None, f"Secret {ref.name} missing"
            out[item.name] = data[ref.key]
        else:
            out[item.name] = item.value or ""
    return out


def _private_dist(version: str, workdir: Path) -> Path:
    """A copy of the provisioned distribution: `start` re-augments it for PostgreSQL,
    which must not touch the dist the shared Keycloaks run from."""
    target = workdir / f"keycloak-{version}"
    shutil.copytree(keycloak_home(version), target, symlinks=True)
    return target


@pytest.mark.parametrize("version", ["26.7.3", "24.0.5"])
def test_rendered_configuration_boots_on_postgresql_and_is_reconciled(
    version: str,
    setup: tuple[Kube, Cluster, str],
    cluster: ControlPlaneEndpoint,
    postgres: PostgresEndpoint,
    unique_name: Callable[[str], str],
    tmp_path: Path,
) -> None:
    kube, workload, ns = setup
    database = unique_name("kc").replace("-", "_")
    user, password = postgres.create_database(database)
    kube.secret(ns, "db", {"username": user, "password": password})
    db = external_db("db", host=f"postgres.{ns}.svc")
    db["external"]["database"] = database
    spec = {"image": f"quay.io/keycloak/keycloak:{version}", "database": db}
    with controller_run(cluster, [ns]) as run:
        kube.create(KEYCLOAKS, ns, managed_object("kc", **spec))
        wait_until(
            lambda: managed_status(kube, ns, "kc").get("readyReplicas") == 1,
            ROLLOUT_TIMEOUT,
            "the pod to be Ready on KWOK",
        )
        # Rolled out, but no Admin API answers yet: not Ready, and kstatus is not Current.
        wait_until(
            lambda: kube.reason(KEYCLOAKS, ns, "kc") == "KeycloakUnavailable",
            60,
            "the Admin API check to fail",
        )
        assert compute(kube.get(KEYCLOAKS, ns, "kc") or {}).status is KStatus.IN_PROGRESS

        container = workload.stateful_set(ns, "kc").spec.template.spec.containers[0]
        env = _resolve_env(kube, ns, container)
        home = _private_dist(version, tmp_path)
        http_port = free_port()
        management_port = free_port()
        # The test's mappings, nothing else: the image's /opt/keycloak is the provisioned
        # dist, the in-cluster database Service is the local PostgreSQL, and the ports
        # are free local ones on loopback.
        assert env["KC_DB_URL_HOST"] == f"postgres.{ns}.svc" and env["KC_DB_URL_PORT"] == "5432"
        env["KC_DB_URL_HOST"], env["KC_DB_URL_PORT"] = postgres.host, str(postgres.port)
        assert env["KC_HTTP_PORT"] == "8080"
        env["KC_HTTP_PORT"] = str(http_port)
        env["KC_HTTP_HOST"] = "127.0.0.1"
        if "KC_HTTP_MANAGEMENT_PORT" in env:
            assert env["KC_HTTP_MANAGEMENT_PORT"] == "9000"
            env["KC_HTTP_MANAGEMENT_PORT"] = str(management_port)
        health_port = management_port if "KC_HTTP_MANAGEMENT_PORT" in env else http_port
        assert container.readiness_probe.http_get.port == (9000 if version != "24.0.5" else 8080)
        command = [
            str(home / "bin" / "kc.sh") if c == "/opt/keycloak/bin/kc.sh" else c
            for c in container.command
        ]
        java_home = (cache_root() / "keycloak" / version / "java-home").read_text().strip()
        server = ServerProcess(
            f"managed-keycloak-{version}",
            [*command, *container.args],
            tmp_path / "keycloak.log",
            env={"PATH": os.environ["PATH"], "JAVA_HOME": java_home, **env},
            cwd=tmp_path,
        )
        server.start()
        try:
            seconds = server.wait_ready(
                lambda: (
                    requests.get(
                        f"http://127.0.0.1:{health_port}/health/ready", timeout=2
                    ).status_code
                    == 200
                ),
                timeout=600,
                interval=1.0,
            )
            print(f"Keycloak {version} on PostgreSQL started in {seconds:.0f} s")
            tables = postgres.sql(
                "SELECT count(*) FROM information_schema.tables WHERE table_name='realm'",
                database=database,
            )
            assert tables == "1"  # its schema is in the real PostgreSQL

            map_to(run, ns, "kc", f"http://127.0.0.1:{http_port}")
            wait_until(lambda: ready(kube, ns, "kc"), 120, "Ready once the Admin API answers")
            assert (kube.get(KEYCLOAKS, ns, "kc") or {})["status"]["serverVersion"] == version

            realm = unique_name("realm")
            kube.create(
                "keycloakrealms", ns, realm_object("realm", "kc", realm, displayName="Managed")
            )
            wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), 120, "the realm")
            admin_secret = kube.secret_data(ns, "kc-admin")
            assert admin_secret is not None
            with KeycloakAdmin.with_password(
                f"http://127.0.0.1:{http_port}",
                admin_secret["username"],
                admin_secret["password"],
            ) as admin:
                assert admin.realms.get(realm).display_name == "Managed"
        finally:
            server.stop(timeout=30)


def test_generated_admin_secret_is_owned_and_kept(
    setup: tuple[Kube, Cluster, str], cluster: ControlPlaneEndpoint
) -> None:
    kube, _, ns = setup
    kube.secret(ns, "db", {"username": "keycloak", "password": "x"})
    with controller_run(cluster, [ns]):
        kube.create(KEYCLOAKS, ns, managed_object("kc", database=external_db("db")))
        wait_until(lambda: kube.secret_data(ns, "kc-admin") is not None, 60, "the admin Secret")
        first = kube.secret_data(ns, "kc-admin")
        assert first is not None and first["username"] == "admin" and len(first["password"]) >= 24
        raw = kube.core.read_namespaced_secret("kc-admin", ns)
        assert raw.metadata.owner_references[0].kind == "Keycloak"
        kube.patch(KEYCLOAKS, ns, "kc", {"spec": {"managed": {"replicas": 2}}})
        wait_until(
            lambda: managed_status(kube, ns, "kc").get("replicas") == 2, 60, "the new spec seen"
        )
        assert kube.secret_data(ns, "kc-admin") == first  # never regenerated
        assert base64.b64decode(raw.data["password"]).decode() == first["password"]


def test_cloudnativepg_reference_without_its_crds(
    setup: tuple[Kube, Cluster, str],
    cluster: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
) -> None:
    """A CloudNativePG Cluster is reached by its conventions (`<cluster>-rw`, `<cluster>-app`);
    this cluster has no CloudNativePG CRDs, and nothing needs them."""
    kube, workload, ns = setup
    kube.secret(ns, "pg-app", {"username": "app", "password": "x", "dbname": "app"})
    kube.secret(
        ns, "admin", {"username": keycloak.admin_username, "password": keycloak.admin_password}
    )
    spec = {"database": {"cloudNativePG": {"cluster": "pg"}}, "admin": {"existingSecret": "admin"}}
    with controller_run(cluster, [ns]) as run:
        map_to(run, ns, "kc", keycloak.base_url)
        kube.create(KEYCLOAKS, ns, managed_object("kc", **spec))
        wait_until(lambda: ready(kube, ns, "kc"), ROLLOUT_TIMEOUT, "Ready on the CNPG database")
    env = {e.name: e for e in workload.stateful_set(ns, "kc").spec.template.spec.containers[0].env}
    assert env["KC_DB_URL_HOST"].value == "pg-rw"
    assert env["KC_DB_URL_DATABASE"].value_from.secret_key_ref.name == "pg-app"
    assert env["KC_DB_URL_DATABASE"].value_from.secret_key_ref.key == "dbname"
    assert env["KC_DB_PASSWORD"].value_from.secret_key_ref.name == "pg-app"
    assert (
        managed_status(kube, ns, "kc")["database"]
        == "postgres://pg-rw:5432/<Secret pg-app key dbname>"
    )


def test_optional_objects_follow_the_spec_and_a_missing_servicemonitor_crd_stalls(
    setup: tuple[Kube, Cluster, str], cluster: ControlPlaneEndpoint
) -> None:
    kube, workload, ns = setup
    kube.secret(ns, "db", {"username": "keycloak", "password": "x"})
    networking = k8s.NetworkingV1Api(workload.api_client)
    policy = k8s.PolicyV1Api(workload.api_client)
    spec = {
        "database": external_db("db"),
        "ingress": {"host": "sso.example.test", "className": "nginx", "tlsSecret": "sso-tls"},
        "networkPolicy": {"enabled": True, "from": [{"namespaceSelector": {}}]},
    }
    with controller_run(cluster, [ns]):
        kube.create(KEYCLOAKS, ns, managed_object("kc", **spec))
        wait_until(
            lambda: (
                bool(networking.list_namespaced_ingress(ns).items)
                and bool(networking.list_namespaced_network_policy(ns).items)
                and bool(policy.list_namespaced_pod_disruption_budget(ns).items)
            ),
            60,
            "the Ingress, NetworkPolicy and PodDisruptionBudget",
        )
        ingress = networking.read_namespaced_ingress("kc", ns)
        assert ingress.spec.rules[0].host == "sso.example.test"
        assert managed_status(kube, ns, "kc")["externalUrl"] == "https://sso.example.test"

        kube.patch(
            KEYCLOAKS,
            ns,
            "kc",
            {
                "spec": {
                    "managed": {
                        "ingress": None,
                        "networkPolicy": {"enabled": False},
                        "podDisruptionBudget": {"enabled": False},
                    }
                }
            },
        )
        wait_until(
            lambda: (
                not networking.list_namespaced_ingress(ns).items
                and not networking.list_namespaced_network_policy(ns).items
                and not policy.list_namespaced_pod_disruption_budget(ns).items
            ),
            60,
            "the switched-off objects deleted",
        )

        kube.patch(
            KEYCLOAKS, ns, "kc", {"spec": {"managed": {"serviceMonitor": {"enabled": True}}}}
        )
        wait_until(
            lambda: kube.reason(KEYCLOAKS, ns, "kc") == "InvalidSpec",
            60,
            "Stalled for the missing ServiceMonitor CRD",
        )
        stalled = kube.condition(KEYCLOAKS, ns, "kc", "Stalled")
        assert "ServiceMonitor CRD" in stalled["message"]


def test_managed_mode_rbac_grants_the_workload_and_denies_the_rest(
    cluster: ControlPlaneEndpoint, unique_name: Callable[[str], str]
) -> None:
    """As the deploy/default ServiceAccount: the workload kinds work, pods and escalation do not."""
    kube = Kube(cluster)
    ns = kube.namespace(unique_name("rbac"))
    api = rbac.controller_identity(cluster).api_client()
    apps, core = k8s.AppsV1Api(api), k8s.CoreV1Api(api)
    sts = {
        "metadata": {"name": "x"},
        "spec": {
            "serviceName": "x",
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
        },
    }
    apps.create_namespaced_stateful_set(ns, sts, dry_run="All")
    core.create_namespaced_service(
        ns, {"metadata": {"name": "x"}, "spec": {"ports": [{"port": 1}]}}, dry_run="All"
    )
    pod = {"metadata": {"name": "x"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
    deployment = {**sts, "spec": {k: v for k, v in sts["spec"].items() if k != "serviceName"}}
    assert denied(lambda: core.create_namespaced_pod(ns, pod, dry_run="All"))
    assert denied(lambda: core.list_namespaced_pod(ns))
    assert denied(lambda: apps.create_namespaced_deployment(ns, deployment, dry_run="All"))
    assert denied(
        lambda: core.create_namespaced_service_account(
            ns, {"metadata": {"name": "x"}}, dry_run="All"
        )
    )
    assert denied(
        lambda: core.create_namespaced_persistent_volume_claim(
            ns,
            {
                "metadata": {"name": "x"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}},
                },
            },
            dry_run="All",
        )
    )
    api.close()  # type: ignore[no-untyped-call]


@pytest.mark.parametrize(
    ("managed", "message"),
    [
        ({"database": {}}, "set exactly one of external, cloudNativePG or dev: true"),
        ({"database": {"dev": False}}, "set exactly one of external, cloudNativePG or dev: true"),
        (
            {"database": {"dev": True, "cloudNativePG": {"cluster": "pg"}}},
            "set exactly one of external, cloudNativePG or dev: true",
        ),
        ({}, "database"),
        (
            {"database": {"dev": True}, "additionalOptions": [{"name": "log-level"}]},
            "set exactly one of value or secretKeyRef",
        ),
    ],
)
def test_admission_refuses_what_cannot_work(
    managed: dict[str, Any],
    message: str,
    cluster: ControlPlaneEndpoint,
    unique_name: Callable[[str], str],
) -> None:
    kube = Kube(cluster)
    ns = kube.namespace(unique_name("admission"))
    with pytest.raises(k8s.ApiException) as refused:
        kube.create(KEYCLOAKS, ns, managed_object("kc", **managed))
    assert refused.value.status == 422
    assert message in (refused.value.body or "")


def test_admission_requires_auth_only_in_external_mode(
    cluster: ControlPlaneEndpoint, unique_name: Callable[[str], str]
) -> None:
    kube = Kube(cluster)
    ns = kube.namespace(unique_name("admission"))
    kube.create(KEYCLOAKS, ns, managed_object("dev", database={"dev": True}))  # accepted
    external = {
        "apiVersion": "keycloak-controller.dev/v1alpha1",
        "kind": "Keycloak",
        "metadata": {"name": "ext"},
        "spec": {"external": {"url": "https://sso.example.test"}},
    }
    with pytest.raises(k8s.ApiException) as refused:
        kube.create(KEYCLOAKS, ns, external)
    assert "spec.auth is required with spec.external" in (refused.value.body or "")


def test_a_rotated_database_password_restarts_the_pods(
    setup: tuple[Kube, Cluster, str],
    cluster: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
) -> None:
    """Env from a Secret is read at container start: a new password must reach new pods."""
    kube, workload, ns = setup
    kube.secret(ns, "db", {"username": "keycloak", "password": "first"})
    kube.secret(
        ns, "admin", {"username": keycloak.admin_username, "password": keycloak.admin_password}
    )
    spec = {"replicas": 2, "database": external_db("db"), "admin": {"existingSecret": "admin"}}
    with controller_run(cluster, [ns]) as run:
        map_to(run, ns, "kc", keycloak.base_url)
        kube.create(KEYCLOAKS, ns, managed_object("kc", **spec))
        wait_until(lambda: ready(kube, ns, "kc"), ROLLOUT_TIMEOUT, "the rollout to Ready")
        before = {p.metadata.uid for p in workload.pods(ns, "kc")}
        template = workload.stateful_set(ns, "kc").spec.template.metadata.annotations
        assert "first" not in str(template)  # a salted digest, never the value

        kube.core.patch_namespaced_secret("db", ns, {"stringData": {"password": "second"}})

        def restarted() -> bool:
            pods = workload.pods(ns, "kc")
            uids = {p.metadata.uid for p in pods}
            return len(pods) == 2 and not before & uids and ready(kube, ns, "kc")

        wait_until(restarted, ROLLOUT_TIMEOUT, "every pod restarted with the new password")
