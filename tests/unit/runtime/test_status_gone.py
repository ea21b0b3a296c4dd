"""A status write for an object deleted since the cache saw it is no failure: the
fuzzed-spec test found the traceback ("reconcile failed") when a finalizer was
removed by someone else while the controller reported DeletionBlocked."""

from __future__ import annotations

from typing import Any

import pytest

from keycloak_controller.runtime.clock import FakeClock
from keycloak_controller.runtime.kubeapi import ApiException
from keycloak_controller.runtime.objects import KubeObject, ResourceKind
from keycloak_controller.runtime.status import Condition, StatusWriter

WIDGETS = ResourceKind("test.keycloak-controller.dev", "v1", "widgets", "Widget")


class AnsweringApi:
    def __init__(self, status: int) -> None:
        self.status = status
        self.calls = 0

    def request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        raise ApiException(status=self.status, reason="test")


def widget() -> KubeObject:
    return KubeObject(
        {
            "apiVersion": "test.keycloak-controller.dev/v1",
            "kind": "Widget",
            "metadata": {"name": "w", "namespace": "ns", "generation": 2, "resourceVersion": "7"},
        }
    )


def test_a_status_write_for_a_deleted_object_is_nothing_to_report() -> None:
    api = AnsweringApi(404)
    writer = StatusWriter(api, WIDGETS, clock=FakeClock())  # type: ignore[arg-type]
    assert writer.update(widget(), [Condition("Ready", "False", "DeletionBlocked")]) is None
    assert api.calls == 1


@pytest.mark.parametrize("status", [409, 500])
def test_other_status_write_failures_still_raise(status: int) -> None:
    writer = StatusWriter(AnsweringApi(status), WIDGETS, clock=FakeClock())  # type: ignore[arg-type]
    with pytest.raises(ApiException):
        writer.update(widget(), [Condition("Ready", "True", "Succeeded")])
