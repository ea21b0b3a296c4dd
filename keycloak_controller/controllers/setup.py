"""Wire the three reconcilers onto a Manager: informers, indexes and watches.

Indexes (on the informer of the referring kind):
- realms "keycloak": the Keycloak `ns/name` a realm points at;
- clients "realm": the KeycloakRealm `ns/name` a client points at;
- every kind "secret": the Secrets `ns/name` it reads.
Watches:
- a Keycloak change requeues its realms; a realm change requeues its clients,
  so a client waiting with DependencyNotReady proceeds by itself;
- a Secret change requeues whoever reads it; the credentials Secret is owned
  (controller ownerReference) by its KeycloakClient, so deleting or editing it
  requeues that client, which puts it back;
- a realm (client) being deleted requeues its Keycloak (realm), whose finalizer
  waits for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from keycloak_controller import DEFAULT_WORKERS
from keycloak_controller.api import GROUP
from keycloak_controller.runtime.controller import Controller
from keycloak_controller.runtime.events import EventRecorder
from keycloak_controller.runtime.handler import EnqueueRequestForObject
from keycloak_controller.runtime.informer import Informer
from keycloak_controller.runtime.manager import Manager
from keycloak_controller.runtime.objects import SECRETS, KubeObject, object_key
from keycloak_controller.runtime.reconcile import Request

from .client_reconciler import ClientReconciler
from .connections import ConnectionRegistry
from .context import Context
from .finalizer import has_finalizer
from .keycloak_reconciler import REALMS_BY_KEYCLOAK, KeycloakReconciler
from .kinds import CLIENTS, KEYCLOAKS, REALMS
from .realm_reconciler import CLIENTS_BY_REALM, RealmReconciler
from .reporting import Timing

BY_SECRET = "secret"  # noqa: S105 - an index name
COMPONENT = "keycloak-controller"


@dataclass(frozen=True)
class ControllerOptions:
    namespaces: Sequence[str] | None = None  # None: every namespace
    workers: int = DEFAULT_WORKERS
    timing: Timing = field(default_factory=Timing)


def _ref_key(obj: KubeObject, *path: str) -> list[str]:
    name = obj.get(*path, "name")
    if not name:
        return []
    return [object_key(str(obj.get(*path, "namespace") or obj.namespace), str(name))]


def _secret_keys(obj: KubeObject, *paths: tuple[str, ...]) -> list[str]:
    return [key for path in paths for key in _ref_key(obj, *path)]


def keycloak_secrets(obj: KubeObject) -> list[str]:
    refs = [
        ("spec", "auth", "passwordGrant", "usernameSecretRef"),
        ("spec", "auth", "passwordGrant", "passwordSecretRef"),
        ("spec", "auth", "clientCredentials", "clientSecretRef"),
        ("spec", "caBundle", "secretKeyRef"),
    ]
    # Secret references are always in the object's own namespace.
    names = [obj.get(*r, "name") for r in refs]
    return [object_key(obj.namespace, str(n)) for n in names if n]


def realm_secrets(obj: KubeObject) -> list[str]:
    name = obj.get("spec", "smtp", "auth", "passwordSecretRef", "name")
    return [object_key(obj.namespace, str(name))] if name else []


def client_secrets(obj: KubeObject) -> list[str]:
    name = obj.get("spec", "credentialsSecret", "existingSecret", "name")
    return [object_key(obj.namespace, str(name))] if name else []


def _lookup(informer: Informer, index: str) -> _Mapper:
    return _Mapper(informer, index)


class _Mapper:
    """Map an object to the requests of the objects indexed under its key."""

    def __init__(self, informer: Informer, index: str) -> None:
        self.informer = informer
        self.index = index

    def __call__(self, obj: KubeObject) -> Iterable[Request]:
        return [Request(o.namespace, o.name) for o in self.informer.by_index(self.index, obj.key)]


def _parent_if_deleting(*path: str) -> _ParentMapper:
    return _ParentMapper(path)


class _ParentMapper:
    """A child being deleted wakes its parent, whose finalizer may wait for it."""

    def __init__(self, path: tuple[str, ...]) -> None:
        self.path = path

    def __call__(self, obj: KubeObject) -> Iterable[Request]:
        if not obj.deletion_timestamp:
            return []
        return [Request.from_key(k) for k in _ref_key(obj, *self.path)]


def _meaningful(obj: KubeObject) -> tuple[Any, ...]:
    """What a change must touch to need a reconcile: the spec (generation) and the
    metadata the reconcilers read; not the status, which they write themselves, nor
    finalizers (see `_EnqueueOnChange`)."""
    meta = obj.get("metadata") or {}
    return (
        obj.generation,
        meta.get("deletionTimestamp"),
        meta.get("labels"),
        meta.get("annotations"),
        meta.get("ownerReferences"),
        meta.get("uid"),
    )


class _EnqueueOnChange(EnqueueRequestForObject):
    """The object's own key, except for status-only updates (controller-runtime's
    GenerationChangedPredicate, keeping metadata changes): a reconcile's own status
    write must not cost a second reconcile and its Keycloak reads."""

    def on_update(self, old: KubeObject, new: KubeObject) -> None:
        # Of the finalizers, only ours going away counts (it must be put back): the
        # reconcile that adds it carries on with the patched object, so its own
        # patch needs no second pass, and other controllers' finalizers are theirs.
        lost_ours = has_finalizer(old) and not has_finalizer(new)
        if old is new or lost_ours or _meaningful(old) != _meaningful(new):
            super().on_update(old, new)


def _watch_own_kind(controller: Controller, informer: Informer) -> None:
    controller.watch(informer, _EnqueueOnChange(controller.queue))


@dataclass
class Controllers:
    context: Context

    def close(self) -> None:
        self.context.events.close()  # sends what is queued, bounded
        self.context.connections.close()


def setup_controllers(manager: Manager, options: ControllerOptions) -> Controllers:
    namespaces = options.namespaces
    keycloaks = manager.informer(KEYCLOAKS, namespaces=namespaces)
    realms = manager.informer(REALMS, namespaces=namespaces)
    clients = manager.informer(CLIENTS, namespaces=namespaces)
    secrets = manager.informer(SECRETS, namespaces=namespaces)

    realms.add_index(REALMS_BY_KEYCLOAK, lambda o: _ref_key(o, "spec", "keycloakRef"))
    clients.add_index(CLIENTS_BY_REALM, lambda o: _ref_key(o, "spec", "realmRef"))
    keycloaks.add_index(BY_SECRET, keycloak_secrets)
    realms.add_index(BY_SECRET, realm_secrets)
    clients.add_index(BY_SECRET, client_secrets)

    ctx = Context(
        api=manager.api,
        keycloaks=keycloaks,
        realms=realms,
        clients=clients,
        secrets=secrets,
        events=EventRecorder(manager.api, COMPONENT),
        connections=ConnectionRegistry(),
        timing=options.timing,
    )

    kc = manager.controller("keycloak", KeycloakReconciler(ctx), workers=options.workers)
    _watch_own_kind(kc, keycloaks)
    kc.watches(secrets, _lookup(keycloaks, BY_SECRET))
    kc.watches(realms, _parent_if_deleting("spec", "keycloakRef"))

    rc = manager.controller("keycloakrealm", RealmReconciler(ctx), workers=options.workers)
    _watch_own_kind(rc, realms)
    rc.watches(keycloaks, _lookup(realms, REALMS_BY_KEYCLOAK))
    rc.watches(secrets, _lookup(realms, BY_SECRET))
    rc.watches(clients, _parent_if_deleting("spec", "realmRef"))

    cc = manager.controller("keycloakclient", ClientReconciler(ctx), workers=options.workers)
    _watch_own_kind(cc, clients)
    # Only the client reconciler creates credentials Secrets: their creation needs no
    # reconcile, their edits and deletions do (they are put back).
    cc.owns(secrets, owner_group=GROUP, owner_kind="KeycloakClient", on_create=False)
    cc.watches(secrets, _lookup(clients, BY_SECRET))
    cc.watches(realms, _lookup(clients, CLIENTS_BY_REALM))
    return Controllers(ctx)
