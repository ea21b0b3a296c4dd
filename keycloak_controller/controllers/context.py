"""What every reconciler shares: caches, the API, Secrets, connections, reporting."""

from __future__ import annotations

from dataclasses import dataclass, field

from keycloak_controller.api import Keycloak, KeycloakRealm
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.runtime.events import EventRecorder
from keycloak_controller.runtime.informer import Informer
from keycloak_controller.runtime.kubeapi import KubeApi
from keycloak_controller.runtime.objects import KubeObject

from . import reasons
from .client_cache import ClientCache
from .connections import ConnectionRegistry
from .kube import namespace_labels, parse
from .reasons import Problem
from .reporting import RetryBackoff, Timing
from .secrets import SecretReader


@dataclass
class Context:
    api: KubeApi
    keycloaks: Informer
    realms: Informer
    clients: Informer
    secrets: Informer
    events: EventRecorder
    connections: ConnectionRegistry
    timing: Timing = field(default_factory=Timing)
    client_cache: ClientCache = field(default_factory=ClientCache)

    def __post_init__(self) -> None:
        self.reader = SecretReader(self.secrets, self.api)

    def new_backoff(self) -> RetryBackoff:
        return RetryBackoff(self.timing.backoff_base, self.timing.backoff_cap)

    def labels_if(self, needed: bool, namespace: str) -> dict[str, str]:
        return namespace_labels(self.api, namespace) if needed else {}

    # --- parents ----------------------------------------------------------------------

    def keycloak_of(self, realm: KeycloakRealm) -> tuple[KubeObject, Keycloak]:
        """The realm's Keycloak CR, if it exists and lets the realm's namespace in."""
        ref = realm.spec.keycloak_ref
        namespace = ref.namespace_or(realm.metadata.namespace)
        obj = self.keycloaks.get(namespace, ref.name)
        if obj is None:
            raise Problem(
                reasons.DEPENDENCY_NOT_READY,
                f"Keycloak {namespace}/{ref.name} not found; create it or fix spec.keycloakRef",
            )
        keycloak = parse(Keycloak, obj)
        own = realm.metadata.namespace
        if namespace != own:
            selection = keycloak.spec.realm_namespaces
            labels = self.labels_if(selection is not None and selection.needs_labels, own)
            if selection is None or not selection.matches(own, labels):
                raise Problem(
                    reasons.NOT_GRANTED,
                    f"Keycloak {namespace}/{ref.name} does not allow realms from namespace "
                    f"{own}; add it to that Keycloak's spec.realmNamespaces",
                )
        return obj, keycloak

    def admin(self, keycloak: Keycloak) -> KeycloakAdmin:
        return self.connections.admin_for(keycloak, self.reader)

    def admin_for_cleanup(self, keycloak: Keycloak) -> KeycloakAdmin | None:
        """A client for deleting: the current one, else the last one built (the
        namespace may be going away and its Secrets with it), else None."""
        try:
            return self.admin(keycloak)
        except Problem:
            return self.connections.cached(keycloak)
