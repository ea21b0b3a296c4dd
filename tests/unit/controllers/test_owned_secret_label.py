"""Every Secret the controller creates carries the owned-Secret label, or it would not be
cached (the owned-Secret informer selects on it) and its edits would go unnoticed."""

from __future__ import annotations

from typing import Any

from keycloak_controller.api import Keycloak
from keycloak_controller.controllers.kube import (
    OWNED_SECRET_LABELS,
    OWNED_SECRET_SELECTOR,
    has_owned_label,
    write_owned_secret,
)
from keycloak_controller.controllers.managed_workload import ManagedWorkload
from keycloak_controller.runtime.objects import KubeObject

UID = "0c1d2e3f-0000-4000-8000-000000000002"


class _Api:
    """Records writes; a unit test's stand-in for the apiserver."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, str, Any]] = []

    def request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        self.writes.append((method, path, kwargs.get("body")))
        return {}


def _labels(body: Any) -> dict[str, str]:
    return dict(body["metadata"]["labels"])


def test_the_selector_matches_the_labels() -> None:
    key, value = OWNED_SECRET_SELECTOR.split("=")
    assert {key: value} == OWNED_SECRET_LABELS


def test_a_credentials_secret_carries_the_label() -> None:
    api = _Api()
    owner = KubeObject(
        {
            "apiVersion": "keycloak-controller.dev/v1alpha1",
            "kind": "KeycloakClient",
            "metadata": {"name": "app", "namespace": "team", "uid": UID},
        }
    )
    write_owned_secret(api, "team", "app-credentials", {"client-id": "app"}, owner, None)  # type: ignore[arg-type]
    [(method, _, body)] = api.writes
    assert method == "POST"
    assert _labels(body).items() >= OWNED_SECRET_LABELS.items()
    assert has_owned_label(KubeObject(body))


def test_the_managed_bootstrap_admin_secret_carries_the_label() -> None:
    api = _Api()
    cr = Keycloak.model_validate(
        {
            "apiVersion": "keycloak-controller.dev/v1alpha1",
            "kind": "Keycloak",
            "metadata": {"name": "kc", "namespace": "team", "uid": UID},
            "spec": {"managed": {"database": {"dev": True}}},
        }
    )
    workload = ManagedWorkload(api, None)  # type: ignore[arg-type]
    workload.create_admin_secret(cr, UID, "kc-admin")
    [(method, _, body)] = api.writes
    assert method == "POST" and body["kind"] == "Secret"
    assert _labels(body).items() >= OWNED_SECRET_LABELS.items()


def test_an_owned_secret_without_the_label_is_not_taken_as_labelled() -> None:
    assert not has_owned_label(KubeObject({"metadata": {"labels": {"app": "x"}}}))
    assert not has_owned_label(KubeObject({"metadata": {}}))
