"""A typed, read-only view over Kubernetes objects kept as JSON dicts.

Why dicts: the informer watches any kind (custom resources and core kinds alike)
and the generated models cost a deserialisation per event and do not exist for
CRDs. So the raw JSON stays inside `KubeObject`, and code outside this module
reads it through typed properties; only `raw` exposes the dict, for callers that
own a model for the kind (they validate it into their model at their boundary).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

JSON = dict[str, Any]


@dataclass(frozen=True)
class OwnerReference:
    api_version: str
    kind: str
    name: str
    uid: str
    controller: bool

    @property
    def group(self) -> str:
        group, _, _version = self.api_version.rpartition("/")
        return group


class KubeObject:
    """Accessor over one object's JSON. Treat as immutable: the cache shares instances."""

    __slots__ = ("_raw",)

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._raw: Mapping[str, Any] = raw

    @property
    def raw(self) -> Mapping[str, Any]:
        return self._raw

    @property
    def _meta(self) -> Mapping[str, Any]:
        meta = self._raw.get("metadata") or {}
        assert isinstance(meta, Mapping)
        return meta

    @property
    def api_version(self) -> str:
        return str(self._raw.get("apiVersion", ""))

    @property
    def kind(self) -> str:
        return str(self._raw.get("kind", ""))

    @property
    def name(self) -> str:
        return str(self._meta.get("name", ""))

    @property
    def namespace(self) -> str:
        return str(self._meta.get("namespace") or "")

    @property
    def key(self) -> str:
        return object_key(self.namespace, self.name)

    @property
    def uid(self) -> str:
        return str(self._meta.get("uid", ""))

    @property
    def resource_version(self) -> str:
        return str(self._meta.get("resourceVersion", ""))

    @property
    def generation(self) -> int:
        return int(self._meta.get("generation") or 0)

    @property
    def labels(self) -> Mapping[str, str]:
        labels = self._meta.get("labels") or {}
        assert isinstance(labels, Mapping)
        return labels

    @property
    def annotations(self) -> Mapping[str, str]:
        annotations = self._meta.get("annotations") or {}
        assert isinstance(annotations, Mapping)
        return annotations

    @property
    def deletion_timestamp(self) -> str | None:
        value = self._meta.get("deletionTimestamp")
        return str(value) if value else None

    @property
    def owner_references(self) -> tuple[OwnerReference, ...]:
        return tuple(
            OwnerReference(
                api_version=str(ref.get("apiVersion", "")),
                kind=str(ref.get("kind", "")),
                name=str(ref.get("name", "")),
                uid=str(ref.get("uid", "")),
                controller=bool(ref.get("controller", False)),
            )
            for ref in self._meta.get("ownerReferences") or ()
        )

    def get(self, *path: str) -> Any:
        """A nested field or None, e.g. `obj.get("spec", "realmRef", "name")`."""
        node: Any = self._raw
        for part in path:
            if not isinstance(node, Mapping):
                return None
            node = node.get(part)
        return node

    def __repr__(self) -> str:
        return f"KubeObject({self.kind} {self.key} rv={self.resource_version})"


def object_key(namespace: str, name: str) -> str:
    """client-go's MetaNamespaceKeyFunc: `ns/name`, or `name` for cluster-scoped objects."""
    return f"{namespace}/{name}" if namespace else name


@dataclass(frozen=True)
class ResourceKind:
    """Enough to build REST paths for one kind, core or custom."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def collection_path(self, namespace: str | None = None) -> str:
        prefix = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            return f"{prefix}/namespaces/{quote(namespace, safe='')}/{self.plural}"
        return f"{prefix}/{self.plural}"

    def object_path(self, namespace: str, name: str, subresource: str = "") -> str:
        path = f"{self.collection_path(namespace)}/{quote(name, safe='')}"
        return f"{path}/{subresource}" if subresource else path


CONFIG_MAPS = ResourceKind("", "v1", "configmaps", "ConfigMap")
SECRETS = ResourceKind("", "v1", "secrets", "Secret")
EVENTS = ResourceKind("", "v1", "events", "Event")
DEPLOYMENTS = ResourceKind("apps", "v1", "deployments", "Deployment")
STATEFULSETS = ResourceKind("apps", "v1", "statefulsets", "StatefulSet")
LEASES = ResourceKind("coordination.k8s.io", "v1", "leases", "Lease")
