"""Manager + controller against the real apiserver: backlog, coalescing, metrics, shutdown."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
import requests
from kubernetes import client as k8s

from keycloak_controller.runtime.manager import Manager, ManagerOptions
from keycloak_controller.runtime.objects import CONFIG_MAPS, ResourceKind
from keycloak_controller.runtime.reconcile import Request, Result
from keycloak_controller.runtime.status import Condition, StatusWriter, conditions_of
from tests.support.controlplane import ControlPlaneEndpoint


class Recorder:
    """Reconciles by reading the cache; records what it saw."""

    def __init__(self, manager: Manager, namespace: str, delay: float = 0.0) -> None:
        self.informer = manager.informer(CONFIG_MAPS, namespaces=[namespace])
        self.delay = delay
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.seen: list[tuple[str, str | None]] = []
        self.pause = threading.Event()

    def reconcile(self, request: Request) -> Result:
        obj = self.informer.get(request.namespace, request.name)
        value = None if obj is None else str(obj.get("data", "value"))
        with self.lock:
            self.calls[request.name] += 1
            self.seen.append((request.name, value))
        if self.delay:
            self.pause.wait(self.delay)  # simulated work, not a timing assertion
        return Result()


@pytest.fixture
def make_manager(
    rt: SimpleNamespace, control_plane: ControlPlaneEndpoint
) -> Iterator[Callable[..., Manager]]:
    managers: list[Manager] = []

    def make(**options: object) -> Manager:
        manager = Manager(rt.configuration(control_plane), ManagerOptions(probe_port=0, **options))  # type: ignore[arg-type]
        managers.append(manager)
        return manager

    yield make
    for manager in managers:
        manager.stop()


def test_objects_created_while_down_are_all_reconciled(
    rt: SimpleNamespace,
    control_plane: ControlPlaneEndpoint,
    namespace: str,
    make_manager: Callable[..., Manager],
) -> None:
    core = k8s.CoreV1Api(control_plane.api_client(qps_pool=16))
    names = [f"cm-{i:04d}" for i in range(1000)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: rt.create_cm(core, namespace, n, "x"), names))

    manager = make_manager()
    recorder = Recorder(manager, namespace)
    manager.controller("backlog", recorder, workers=4).watch_for(recorder.informer)
    manager.start()
    rt.wait_until(lambda: len(recorder.calls) == 1000, 120, "all 1000 reconciled")
    assert set(recorder.calls) == set(names)
    assert all(value == "x" for _, value in recorder.seen)


def test_rapid_updates_coalesce_and_the_last_state_wins(
    rt: SimpleNamespace,
    control_plane: ControlPlaneEndpoint,
    namespace: str,
    make_manager: Callable[..., Manager],
) -> None:
    core = k8s.CoreV1Api(control_plane.api_client())
    rt.create_cm(core, namespace, "hot", "0")
    manager = make_manager()
    gate = threading.Event()
    recorder = Recorder(manager, namespace)
    original = recorder.reconcile

    def held_first_pass(request: Request) -> Result:
        result = original(request)
        gate.wait(60)  # the first pass is still running while all updates land
        return result

    recorder.reconcile = held_first_pass  # type: ignore[method-assign]
    manager.controller("coalesce", recorder, workers=8).watch_for(recorder.informer)
    manager.start()
    rt.wait_until(lambda: recorder.calls["hot"] == 1, 30, "the first reconcile")
    for i in range(1, 101):
        rt.update_cm(core, namespace, "hot", str(i))
    rt.wait_until(
        lambda: str(recorder.informer.get(namespace, "hot").get("data", "value")) == "100",  # type: ignore[union-attr]
        30,
        "the informer to see the last update",
    )
    gate.set()
    rt.wait_until(lambda: ("hot", "100") in recorder.seen, 30, "the final state reconciled")
    assert manager.stop()
    # 100 events during one pass collapse into exactly one more pass, which sees the end.
    assert recorder.calls["hot"] == 2
    assert recorder.seen == [("hot", "0"), ("hot", "100")]


def test_metrics_health_and_readiness(
    rt: SimpleNamespace,
    control_plane: ControlPlaneEndpoint,
    namespace: str,
    make_manager: Callable[..., Manager],
) -> None:
    core = k8s.CoreV1Api(control_plane.api_client())
    rt.create_cm(core, namespace, "one", "1")
    manager = make_manager()
    recorder = Recorder(manager, namespace)
    manager.controller("metrics", recorder).watch_for(recorder.informer)
    manager.start()
    rt.wait_until(lambda: recorder.calls["one"] >= 1, 30, "a reconcile")
    assert manager.server is not None
    base = f"http://127.0.0.1:{manager.server.port}"
    assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
    assert requests.get(f"{base}/readyz", timeout=5).status_code == 200
    text = requests.get(f"{base}/metrics", timeout=5).text
    for series in (
        'controller_runtime_reconcile_total{controller="metrics",result="success"} 1.0',
        'controller_runtime_reconcile_errors_total{controller="metrics"}',
        'controller_runtime_reconcile_time_seconds_bucket{controller="metrics"',
        'workqueue_depth{controller="metrics",name="metrics"',
        'workqueue_adds_total{controller="metrics",name="metrics"}',
        'workqueue_retries_total{controller="metrics",name="metrics"}',
        'workqueue_queue_duration_seconds_bucket{controller="metrics"',
        'workqueue_work_duration_seconds_bucket{controller="metrics"',
        'workqueue_unfinished_work_seconds{controller="metrics",name="metrics"}',
        'workqueue_longest_running_processor_seconds{controller="metrics",name="metrics"}',
    ):
        assert series in text, series


def test_not_ready_until_caches_sync_and_leader_metric(
    rt: SimpleNamespace,
    control_plane: ControlPlaneEndpoint,
    namespace: str,
    make_manager: Callable[..., Manager],
) -> None:
    from keycloak_controller.runtime.leaderelection import LeaderElectionConfig

    manager = make_manager(leader_election=LeaderElectionConfig("mgr-lease", namespace, "solo"))
    recorder = Recorder(manager, namespace)
    manager.controller("leader", recorder).watch_for(recorder.informer)
    assert not manager.ready()  # nothing listed yet
    manager.start()
    rt.wait_until(lambda: manager.is_leader, 30, "leadership")
    text = requests.get(f"http://127.0.0.1:{manager.server.port}/metrics", timeout=5).text  # type: ignore[union-attr]
    assert 'leader_election_master_status{name="mgr-lease"} 1.0' in text


def test_no_threads_left_after_shutdown(
    rt: SimpleNamespace,
    control_plane: ControlPlaneEndpoint,
    namespace: str,
) -> None:
    from keycloak_controller.runtime.leaderelection import LeaderElectionConfig

    before = set(threading.enumerate())
    core = k8s.CoreV1Api(control_plane.api_client())
    rt.create_cm(core, namespace, "one", "1")
    manager = Manager(
        rt.configuration(control_plane),
        ManagerOptions(
            probe_port=0, leader_election=LeaderElectionConfig("t-lease", namespace, "me")
        ),
    )
    recorder = Recorder(manager, namespace)
    controller = manager.controller("threads", recorder, workers=4)
    controller.watch_for(recorder.informer)
    manager.informer(CONFIG_MAPS, namespaces=[namespace], resync_period=60)
    manager.start()
    rt.wait_until(lambda: recorder.calls["one"] >= 1, 30, "a reconcile")
    assert manager.stop()
    leftover = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert leftover == []
    lease = k8s.CoordinationV1Api(control_plane.api_client()).read_namespaced_lease(
        "t-lease", namespace
    )
    assert lease.spec.holder_identity in ("", None)  # released on graceful stop


WIDGET_GROUP = "test.keycloak-controller.dev"


def widget_crd(plural: str) -> dict[str, object]:
    kind = "W" + plural[1:].replace("-", "")
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{WIDGET_GROUP}"},
        "spec": {
            "group": WIDGET_GROUP,
            "scope": "Namespaced",
            "names": {
                "plural": plural,
                "singular": plural,
                "kind": kind,
                "listKind": f"{kind}List",
            },
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                }
            ],
        },
    }


def test_status_writer_uses_status_subresource_with_optimistic_lock(
    rt: SimpleNamespace,
    control_plane: ControlPlaneEndpoint,
    namespace: str,
    unique_name: Callable[[str], str],
) -> None:
    from keycloak_controller.runtime.kubeapi import ApiException, KubeApi

    plural = unique_name("widgets").replace("-", "")
    api = KubeApi(control_plane.api_client())
    api.request(
        "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", body=widget_crd(plural)
    )
    kind = ResourceKind(WIDGET_GROUP, "v1", plural, "W" + plural[1:])

    def create() -> dict[str, object]:
        return api.request(
            "POST",
            kind.collection_path(namespace),
            body={
                "apiVersion": f"{WIDGET_GROUP}/v1",
                "kind": kind.kind,
                "metadata": {"name": "w"},
                "spec": {"size": 1},
            },
        )

    rt.wait_until(lambda: _try(create), 30, "the CRD to be served")
    from keycloak_controller.runtime.objects import KubeObject

    obj = KubeObject(api.get(kind.object_path(namespace, "w")))
    writer = StatusWriter(api, kind)
    updated = writer.update(obj, [Condition("Ready", "True", "Succeeded", "ok")])
    assert updated is not None
    assert updated.get("status", "observedGeneration") == obj.generation
    assert conditions_of(updated)[0].observed_generation == obj.generation
    assert writer.update(updated, [Condition("Ready", "True", "Succeeded", "ok")]) is None
    # The stale object (old resourceVersion) loses with 409.
    with pytest.raises(ApiException) as conflict:
        writer.update(obj, [Condition("Ready", "False", "Failed", "stale")])
    assert conflict.value.status == 409


def _try(action: Callable[[], object]) -> bool:
    try:
        action()
    except Exception:
        return False
    return True
