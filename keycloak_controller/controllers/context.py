"""What every reconciler shares: caches, the API, Secrets, connections, reporting."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from keycloak_controller.api import Keycloak
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.resources.client_cache import ClientCache
from keycloak_controller.runtime.events import EventRecorder
from keycloak_controller.runtime.informer import Informer
from keycloak_controller.runtime.kubeapi import KubeApi
from keycloak_controller.runtime.objects import KubeObject, ResourceKind

from .connections import ConnectionRegistry
from .kube import namespace_labels
from .reasons import Problem
from .reporting import Timing
from .secret_watch import SecretCache
from .secrets import SecretReader

# A child kind and the name of its index of parent keys (setup.py declares both).
ChildIndex = tuple[ResourceKind, str]


@dataclass
class Context:
    api: KubeApi
    informers: Mapping[ResourceKind, Informer]
    # Owned (by label) and referenced (by name) Secrets only: see secret_watch.py.
    secrets: SecretCache
    events: EventRecorder
    connections: ConnectionRegistry
    timing: Timing = field(default_factory=Timing)
    client_cache: ClientCache = field(default_factory=ClientCache)
    # parent kind -> the kinds that point at it, with their index of parent keys.
    children: Mapping[ResourceKind, list[ChildIndex]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reader = SecretReader(self.secrets, self.api)

    def informer(self, kind: ResourceKind) -> Informer:
        return self.informers[kind]

    def children_of(self, kind: ResourceKind, obj: KubeObject) -> list[KubeObject]:
        """Every object (of any child kind) whose parent reference names `obj`."""
        return [
            child
            for child_kind, index in self.children.get(kind, ())
            for child in self.informers[child_kind].by_index(index, obj.key)
        ]

    def labels_if(self, needed: bool, namespace: str) -> dict[str, str]:
        return namespace_labels(self.api, namespace) if needed else {}

    def admin(self, keycloak: Keycloak) -> KeycloakAdmin:
        return self.connections.admin_for(keycloak, self.reader)

    def admin_for_cleanup(self, keycloak: Keycloak) -> KeycloakAdmin | None:
        """A client for deleting: the current one, else the last one built (the
        namespace may be going away and its Secrets with it), else None."""
        try:
            return self.admin(keycloak)
        except Problem:
            return self.connections.cached(keycloak)
