"""The cache transform drops server bookkeeping and keeps everything a reconciler reads."""

from __future__ import annotations

import copy
import json
import sys
from typing import Any

from keycloak_controller.runtime.transform import (
    LAST_APPLIED,
    SHARED_STRING_MAX,
    compact_for_cache,
    share_strings,
    strip_bulky_metadata,
)


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


def test_shared_strings_keep_the_object_equal_and_make_repeats_one_object() -> None:
    long_value = "x" * (SHARED_STRING_MAX + 1)
    first, second = (
        json.loads(json.dumps({**cr(), "data": {"big": long_value}, "list": [{"type": "Ready"}]}))
        for _ in range(2)
    )
    expected = copy.deepcopy(first)
    a, b = share_strings(first), share_strings(second)
    assert a == expected == b
    key_a = next(k for k in a["metadata"] if k == "resourceVersion")
    key_b = next(k for k in b["metadata"] if k == "resourceVersion")
    assert key_a is key_b
    assert a["metadata"]["namespace"] is b["metadata"]["namespace"]
    assert a["list"][0]["type"] is b["list"][0]["type"]
    # Long values are left as decoded: one copy per object.
    assert a["data"]["big"] is not b["data"]["big"]
    # Non-string scalars pass through.
    assert share_strings({"n": 1, "b": True, "z": None}) == {"n": 1, "b": True, "z": None}


def test_the_default_cache_transform_strips_and_shares() -> None:
    raw = cr({LAST_APPLIED: "{}"})
    compact = compact_for_cache(json.loads(json.dumps(raw)))
    assert "managedFields" not in compact["metadata"]
    assert "annotations" not in compact["metadata"]
    assert compact["spec"] == raw["spec"]
    assert compact["metadata"]["namespace"] is sys.intern("ns")
