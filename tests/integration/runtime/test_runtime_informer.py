"""The informer against a real kube-apiserver: restarts, compaction (410), bookmarks, selectors."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from kubernetes import client as k8s

from keycloak_controller.runtime.informer import Informer
from keycloak_controller.runtime.kubeapi import KubeApi
from keycloak_controller.runtime.objects import CONFIG_MAPS
from keycloak_controller.runtime.transform import LAST_APPLIED, strip_bulky_metadata
from tests.support.controlplane import ControlPlaneEndpoint


def value_of(informer: Informer, namespace: str, name: str) -> str | None:
    obj = informer.get(namespace, name)
    return None if obj is None else str(obj.get("data", "value"))


def test_watch_survives_apiserver_restart(
    rt: SimpleNamespace,
    private_control_plane: Callable[..., object],
    unique_name: Callable[[str], str],
) -> None:
    plane = private_control_plane()
    endpoint: ControlPlaneEndpoint = plane.endpoint  # type: ignore[attr-defined]
    ns = unique_name("restart")
    rt.make_namespace(endpoint, ns)
    core = k8s.CoreV1Api(endpoint.api_client())
    rt.create_cm(core, ns, "before", "1")
    informer = Informer(KubeApi(endpoint.api_client()), CONFIG_MAPS, namespaces=[ns])
    handler = rt.RecordingHandler()
    informer.add_event_handler(handler)
    informer.start()
    try:
        assert informer.wait_for_sync(30)
        assert value_of(informer, ns, "before") == "1"

        plane.restart_apiserver()  # type: ignore[attr-defined]
        core = k8s.CoreV1Api(endpoint.api_client())
        rt.create_cm(core, ns, "after", "2")
        rt.update_cm(core, ns, "before", "3")
        rt.wait_until(lambda: value_of(informer, ns, "after") == "2", 90, "create after restart")
        rt.wait_until(lambda: value_of(informer, ns, "before") == "3", 30, "update after restart")
        # A restart with a live watch cache needs no relist: the RV is still valid.
        assert handler.deletes == []
    finally:
        informer.stop()


def test_compaction_forces_410_relist_and_no_change_is_missed(
    rt: SimpleNamespace,
    private_control_plane: Callable[..., object],
    unique_name: Callable[[str], str],
) -> None:
    # Without the watch cache, etcd's "compacted" reaches the client as 410.
    plane = private_control_plane(extra_apiserver_args=["--watch-cache=false"])
    endpoint: ControlPlaneEndpoint = plane.endpoint  # type: ignore[attr-defined]
    ns, other_ns = unique_name("compact"), unique_name("noise")
    rt.make_namespace(endpoint, ns)
    rt.make_namespace(endpoint, other_ns)
    core = k8s.CoreV1Api(endpoint.api_client())
    for name in ("keep", "change", "vanish"):
        rt.create_cm(core, ns, name, "0")
    informer = Informer(KubeApi(endpoint.api_client()), CONFIG_MAPS, namespaces=[ns])
    handler = rt.RecordingHandler()
    informer.add_event_handler(handler)
    informer.start()
    try:
        assert informer.wait_for_sync(30)
        # Hold the reflector inside a handler so it cannot follow what happens next.
        handler.block_on = "trigger"
        rt.create_cm(core, ns, "trigger", "0")
        assert handler.blocked.wait(30)

        plane.restart_apiserver()  # type: ignore[attr-defined]  # kills the open watch
        core = k8s.CoreV1Api(endpoint.api_client())
        rt.update_cm(core, ns, "change", "1")
        rt.delete_cm(core, ns, "vanish")
        rt.create_cm(core, ns, "new", "1")
        for i in range(5):
            rt.create_cm(core, other_ns, f"noise-{i}")
        plane.compact_etcd()  # type: ignore[attr-defined]
        handler.release.set()

        rt.wait_until(lambda: informer.relists >= 1, 90, "a 410-driven relist")
        rt.wait_until(
            lambda: (
                sorted(informer.indexer.keys())
                == sorted(f"{ns}/{n}" for n in ("keep", "change", "new", "trigger"))
            ),
            60,
            "the cache to match the server",
        )
        assert value_of(informer, ns, "change") == "1"
        assert f"{ns}/vanish" in handler.deletes  # a delete for the vanished key
        assert f"{ns}/new" in handler.adds
    finally:
        handler.release.set()
        informer.stop()


def test_bookmarks_advance_the_resource_version(
    rt: SimpleNamespace,
    control_plane: ControlPlaneEndpoint,
    namespace: str,
    unique_name: Callable[[str], str],
) -> None:
    core = k8s.CoreV1Api(control_plane.api_client())
    rt.create_cm(core, namespace, "a", "1")
    noise_ns = unique_name("noise")
    rt.make_namespace(control_plane, noise_ns)
    # A short server timeout makes the watch cache send its pre-deadline bookmark soon.
    informer = Informer(
        KubeApi(control_plane.api_client()),
        CONFIG_MAPS,
        namespaces=[namespace],
        watch_timeout_range=(4, 4),
    )
    handler = rt.RecordingHandler()
    informer.add_event_handler(handler)
    informer.start()
    try:
        assert informer.wait_for_sync(30)
        synced_rv = int(informer.last_sync_resource_version())
        # The cacher only bookmarks an RV newer than the watcher's: move the kind's RV
        # with ConfigMaps elsewhere, which this namespaced watch never sees as events.
        for i in range(10):
            rt.create_cm(core, noise_ns, f"n{i}")
            if informer.bookmarks:
                break
        rt.wait_until(lambda: informer.bookmarks >= 1, 60, "a bookmark")
        assert int(informer.last_sync_resource_version()) > synced_rv
        # Bookmarks are not objects: nothing was dispatched for them.
        assert handler.adds == [f"{namespace}/a"]
        assert handler.updates == []
        # Re-watching after the timeout from the bookmark's RV keeps working, with no relist.
        rt.create_cm(core, namespace, "b", "2")
        rt.wait_until(lambda: value_of(informer, namespace, "b") == "2", 30, "event after bookmark")
        assert informer.relists == 0
    finally:
        informer.stop()


def test_label_selector_and_namespace_list(
    rt: SimpleNamespace, control_plane: ControlPlaneEndpoint, unique_name: Callable[[str], str]
) -> None:
    namespaces = [unique_name("sel"), unique_name("sel"), unique_name("sel")]
    run = unique_name("run")
    for ns in namespaces:
        rt.make_namespace(control_plane, ns)
    core = k8s.CoreV1Api(control_plane.api_client())
    for ns in namespaces:
        for name, label in (("yes", "on"), ("no", "off")):
            core.create_namespaced_config_map(
                ns,
                k8s.V1ConfigMap(
                    metadata=k8s.V1ObjectMeta(name=name, labels={"pick": label, "run": run})
                ),
            )
    informer = Informer(
        KubeApi(control_plane.api_client()),
        CONFIG_MAPS,
        namespaces=namespaces[:2],
        label_selector=f"pick=on,run={run}",
        page_size=1,  # forces paging through continue tokens
    )
    everywhere = Informer(
        KubeApi(control_plane.api_client()), CONFIG_MAPS, label_selector=f"pick=on,run={run}"
    )
    informer.start()
    everywhere.start()
    try:
        assert informer.wait_for_sync(30)
        assert sorted(informer.indexer.keys()) == sorted(f"{ns}/yes" for ns in namespaces[:2])
        assert informer.by_index("namespace", namespaces[0])[0].name == "yes"
        assert everywhere.wait_for_sync(30)
        assert sorted(everywhere.indexer.keys()) == sorted(f"{ns}/yes" for ns in namespaces)
    finally:
        informer.stop()
        everywhere.stop()


def test_transform_strips_bookkeeping_from_listed_and_watched_objects(
    rt: SimpleNamespace, control_plane: ControlPlaneEndpoint, unique_name: Callable[[str], str]
) -> None:
    ns = unique_name("transform")
    rt.make_namespace(control_plane, ns)
    core = k8s.CoreV1Api(control_plane.api_client())
    last_applied = {LAST_APPLIED: '{"data":{"value":"0"}}', "team": "a"}
    core.create_namespaced_config_map(
        ns,
        k8s.V1ConfigMap(
            metadata=k8s.V1ObjectMeta(name="listed", annotations=last_applied),
            data={"value": "0"},
        ),
    )
    raw = KubeApi(control_plane.api_client()).get(CONFIG_MAPS.object_path(ns, "listed"))
    assert raw["metadata"]["managedFields"]  # the server does write them
    informer = Informer(
        KubeApi(control_plane.api_client()),
        CONFIG_MAPS,
        namespaces=[ns],
        transform=strip_bulky_metadata,
    )
    handler = rt.RecordingHandler()
    informer.add_event_handler(handler)
    informer.start()
    try:
        assert informer.wait_for_sync(30)
        rt.create_cm(core, ns, "watched", "1")
        rt.update_cm(core, ns, "listed", "2")
        rt.wait_until(lambda: value_of(informer, ns, "watched") == "1", 30, "watched create")
        rt.wait_until(lambda: value_of(informer, ns, "listed") == "2", 30, "watched update")
        for name in ("listed", "watched"):
            cached = informer.get(ns, name)
            assert cached is not None
            assert "managedFields" not in cached.raw["metadata"]
            assert cached.uid and cached.resource_version  # the rest is intact
        listed = informer.get(ns, "listed")
        assert listed is not None and dict(listed.annotations) == {"team": "a"}
    finally:
        informer.stop()
