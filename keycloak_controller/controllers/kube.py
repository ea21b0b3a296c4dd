"""Kubernetes-side helpers the reconcilers share: namespace labels, owned Secrets, parsing."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import TypeVar

from pydantic import ValidationError

from keycloak_controller.api.common import CustomResource
from keycloak_controller.runtime.kubeapi import ApiException, KubeApi
from keycloak_controller.runtime.objects import SECRETS, KubeObject

from .kinds import NAMESPACES
from .reasons import NOT_GRANTED, OWNERSHIP_CONFLICT, Problem, SpecError

CR = TypeVar("CR", bound=CustomResource)
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
# Every Secret the controller creates carries this label: the owned-Secret
# informer selects on it, so a Secret without it is not cached (secret_watch.py).
OWNED_SECRET_LABELS = {MANAGED_BY_LABEL: "keycloak-controller"}
OWNED_SECRET_SELECTOR = f"{MANAGED_BY_LABEL}=keycloak-controller"


def parse(model: type[CR], obj: KubeObject) -> CR:
    """Validate a cached object into its API model; a bad object is a SpecError."""
    try:
        return model.model_validate(obj.raw)
    except ValidationError as error:
        # Pydantic's message can echo input values; keep only field locations.
        fields = ", ".join(".".join(map(str, e["loc"])) for e in error.errors()[:5])
        raise SpecError(f"the object does not match the schema at: {fields}") from None


def namespace_labels(api: KubeApi, namespace: str) -> dict[str, str]:
    """The labels of a Namespace, to match a `namespaceSelector` grant.

    Callers read them only when a grant actually has a namespaceSelector, so an
    install without the Namespace rule (deploy/namespaced) works as long as its
    grants name namespaces. If the RBAC forbids the read, the grant cannot be
    evaluated: fail closed with a condition that says what to change.
    """
    try:
        obj = api.get(NAMESPACES.object_path("", namespace))
    except ApiException as error:
        if error.status == 404:
            return {}
        if error.status == 403:
            raise Problem(
                NOT_GRANTED,
                f"a namespaceSelector grant needs the labels of Namespace {namespace}, and the "
                "controller's RBAC does not allow reading Namespaces (deploy/namespaced grants "
                "none); select the namespace by name in the grant, or give the controller get "
                "on namespaces as deploy/default does",
            ) from None
        raise
    return dict((obj.get("metadata") or {}).get("labels") or {})


def namespace_terminating(api: KubeApi, namespace: str) -> bool:
    try:
        obj = api.get(NAMESPACES.object_path("", namespace))
    except ApiException as error:
        return bool(error.status == 404)
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def secret_data(obj: KubeObject | None) -> dict[str, str] | None:
    """A Secret's data decoded to strings (None when it does not exist)."""
    if obj is None:
        return None
    out: dict[str, str] = {}
    for key, value in (obj.get("data") or {}).items():
        try:
            out[key] = base64.b64decode(str(value)).decode("utf-8")
        except ValueError:
            out[key] = ""
    return out


def write_owned_secret(
    api: KubeApi,
    namespace: str,
    name: str,
    data: Mapping[str, str],
    owner: KubeObject,
    existing: KubeObject | None,
    *,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> None:
    """Create or replace the Secret so that it holds exactly `data`, owned by `owner`;
    `labels` and `annotations` go beside the controller's label, which wins."""
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {**(labels or {}), MANAGED_BY_LABEL: "keycloak-controller"},
            "annotations": dict(annotations or {}),
            "ownerReferences": [
                {
                    "apiVersion": owner.api_version,
                    "kind": owner.kind,
                    "name": owner.name,
                    "uid": owner.uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }
    if existing is None:
        try:
            api.request("POST", SECRETS.collection_path(namespace), body=body)
            return
        except ApiException as error:
            if error.status != 409:
                raise
            # Made since our cache was read: decide on what is really there.
            existing = KubeObject(api.get(SECRETS.object_path(namespace, name)))
            if not controlled_by(existing, owner.uid):
                raise Problem(
                    OWNERSHIP_CONFLICT,
                    f"Secret {namespace}/{name} exists and is not owned by this {owner.kind}; "
                    "delete it or choose another name",
                ) from None
            # Equal data is enough only with the label: without it, it drops out of
            # the owned cache, and the controller would no longer see its edits.
            if secret_data(existing) == dict(data) and has_owned_label(existing):
                return
    body["metadata"]["resourceVersion"] = existing.resource_version  # type: ignore[index]
    api.request("PUT", SECRETS.object_path(namespace, name), body=body)


def has_owned_label(obj: KubeObject) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in OWNED_SECRET_LABELS.items())


def controlled_by(obj: KubeObject, owner_uid: str) -> bool:
    return any(ref.controller and ref.uid == owner_uid for ref in obj.owner_references)
