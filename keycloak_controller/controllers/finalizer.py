"""Adding and removing the finalizer, with the object's resourceVersion as a lock."""

from __future__ import annotations

from keycloak_controller.runtime.kubeapi import ApiException, KubeApi
from keycloak_controller.runtime.objects import KubeObject, ResourceKind

FINALIZER = "keycloak-controller.dev/finalizer"


def has_finalizer(obj: KubeObject) -> bool:
    return FINALIZER in (obj.get("metadata", "finalizers") or ())


def _patch(api: KubeApi, kind: ResourceKind, obj: KubeObject, finalizers: list[str]) -> KubeObject:
    # A merge patch replaces the whole list; the resourceVersion makes a
    # concurrent change (another finalizer added) fail with 409 instead of losing it.
    body = {"metadata": {"finalizers": finalizers, "resourceVersion": obj.resource_version}}
    updated = api.request(
        "PATCH",
        kind.object_path(obj.namespace, obj.name),
        body=body,
        content_type="application/merge-patch+json",
    )
    return KubeObject(updated)


def ensure_finalizer(api: KubeApi, kind: ResourceKind, obj: KubeObject) -> KubeObject:
    if has_finalizer(obj):
        return obj
    finalizers = [*(obj.get("metadata", "finalizers") or ()), FINALIZER]
    return _patch(api, kind, obj, finalizers)


def remove_finalizer(api: KubeApi, kind: ResourceKind, obj: KubeObject) -> None:
    if not has_finalizer(obj):
        return
    finalizers = [f for f in obj.get("metadata", "finalizers") or () if f != FINALIZER]
    try:
        _patch(api, kind, obj, finalizers)
    except ApiException as error:
        if error.status != 404:  # already gone: nothing to release
            raise
