"""The Event recorder aggregates repeats on the real apiserver and caps a flood."""

from __future__ import annotations

from types import SimpleNamespace

from kubernetes import client as k8s

from keycloak_controller.runtime.events import EventRecorder
from keycloak_controller.runtime.kubeapi import KubeApi
from keycloak_controller.runtime.objects import KubeObject
from tests.support.controlplane import ControlPlaneEndpoint


def test_repeated_events_aggregate_and_a_flood_is_capped(
    rt: SimpleNamespace, control_plane: ControlPlaneEndpoint, namespace: str
) -> None:
    core = k8s.CoreV1Api(control_plane.api_client())
    rt.create_cm(core, namespace, "failing", "x")
    api = KubeApi(control_plane.api_client())
    obj = KubeObject(api.get(f"/api/v1/namespaces/{namespace}/configmaps/failing"))
    obj = KubeObject({**obj.raw, "apiVersion": "v1", "kind": "ConfigMap"})
    recorder = EventRecorder(api, "test-controller", burst=25)

    for _ in range(10):
        recorder.event(obj, "Warning", "ReconcileFailed", "realm unreachable")
    recorder.event(obj, "Normal", "Reconciled", "ok")
    assert recorder.flush(30)  # sent by a background thread, in order
    events = core.list_namespaced_event(namespace).items
    by_reason = {e.reason: e for e in events}
    assert len(events) == 2
    assert by_reason["ReconcileFailed"].count == 10
    assert by_reason["ReconcileFailed"].involved_object.uid == obj.uid
    assert by_reason["Reconciled"].count == 1

    # Distinct messages do not aggregate, but the per-object bucket stops the flood.
    for i in range(100):
        recorder.event(obj, "Warning", "ReconcileFailed", f"attempt {i}")
    assert recorder.flush(30)
    events = core.list_namespaced_event(namespace).items
    assert len(events) == 2 + (25 - 11)
    assert recorder.dropped == 100 - (25 - 11)
    assert recorder.failed == 0
    recorder.close()
    recorder.event(obj, "Normal", "Reconciled", "after close")  # ignored, never raises
    assert recorder.flush(5)
