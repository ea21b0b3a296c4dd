"""The cache transform drops server bookkeeping and keeps everything a reconciler reads."""

from __future__ import annotations

import copy
from typing import Any

from keycloak_controller.runtime.transform import LAST_APPLIED, strip_bulky_metadata


def cr(annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": "app",
        "namespace": "ns",
        "resourceVersion": "7",
        "finalizers": ["keycloak-controller.dev/finalizer"],
        "labels": {"team": "a"},
        "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}],
    }
    if annotations is not None:
        meta["annotations"] = annotations
    return {"metadata": meta, "spec": {"clientId": "app"}, "status": {"observedGeneration": 1}}


def test_managed_fields_and_last_applied_go_everything_else_stays() -> None:
    raw = cr({LAST_APPLIED: '{"huge": true}', "team/owner": "x"})
    expected = copy.deepcopy(raw)
    del expected["metadata"]["managedFields"]
    del expected["metadata"]["annotations"][LAST_APPLIED]
    assert strip_bulky_metadata(raw) == expected


def test_an_annotation_map_left_empty_is_removed_and_plain_objects_pass() -> None:
    raw = strip_bulky_metadata(cr({LAST_APPLIED: "{}"}))
    assert "annotations" not in raw["metadata"]
    untouched = {"metadata": {"name": "x"}}
    assert strip_bulky_metadata(copy.deepcopy(untouched)) == untouched
    assert strip_bulky_metadata({"kind": "Status"}) == {"kind": "Status"}
