"""Wire every kind of `registry.WIRINGS` onto a Manager: informers, indexes, watches.

Indexes (on the informer of the referring kind):
- the parent's index ("keycloak" on realms, "realm" on clients and users): the
  parent `ns/name` the resource points at;
- every kind "secret": the Secrets `ns/name` it reads.
Secrets are cached by need (secret_watch.py): an informer of the Secrets we own
(by label) and one watch per Secret a CR references (kept in step with the
"secret" refs by a handler on each CR informer); never a full Secret informer.
Watches:
- a parent's change requeues its children, so a child waiting with
  DependencyNotReady proceeds by itself;
- a Secret change requeues whoever reads it; owned Secrets requeue their owner;
- a child being deleted requeues its parent, whose finalizer waits for it;
- a KeycloakUser or KeycloakClient becoming Ready requeues the clients whose
  authorization policies name it (dependants.py).
Failures back off through each controller's per-item exponential rate limiter
(Timing.backoff_base to backoff_cap).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from keycloak_controller import DEFAULT_WORKERS
from keycloak_controller.api import GROUP
from keycloak_controller.api.common import CustomResource, NamespacedReference
from keycloak_controller.runtime.controller import Controller
from keycloak_controller.runtime.events import EventRecorder
from keycloak_controller.runtime.handler import EnqueueRequestForObject
from keycloak_controller.runtime.informer import Informer
from keycloak_controller.runtime.manager import Manager
from keycloak_controller.runtime.objects import SECRETS, KubeObject, ResourceKind, object_key
from keycloak_controller.runtime.ratelimit import ItemExponentialFailureRateLimiter
from keycloak_controller.runtime.reconcile import Request
from keycloak_controller.runtime.store import IndexFunc
from keycloak_controller.runtime.targeted import NamedWatches

from .connections import ConnectionRegistry
from .context import ChildIndex, Context
from .dependants import watch_named
from .finalizer import has_finalizer
from .kinds import resource_kind
from .kube import OWNED_SECRET_SELECTOR
from .registry import WIRINGS, Parent, Wiring
from .reporting import Timing
from .secret_watch import SecretCache, SecretRefTracker

BY_SECRET = "secret"  # noqa: S105 - an index name
COMPONENT = "keycloak-controller"


@dataclass(frozen=True)
class ControllerOptions:
    namespaces: Sequence[str] | None = None  # None: every namespace
    workers: int = DEFAULT_WORKERS
    timing: Timing = field(default_factory=Timing)


def _typed(model: type[CustomResource], func: Callable[[Any], Iterable[str]]) -> IndexFunc:
    """An index function over the parsed resource; an object that does not parse
    (it reports InvalidSpec itself) is indexed under nothing."""

    def index(obj: KubeObject) -> list[str]:
        try:
            parsed = model.model_validate(obj.raw)
        except ValidationError:
            return []
        return list(func(parsed))

    return index


def _parent_keys(parent: Parent) -> Callable[[Any], list[str]]:
    def keys(cr: Any) -> list[str]:
        ref: NamespacedReference = parent.ref(cr)
        return [object_key(ref.namespace_or(cr.metadata.namespace), ref.name)]

    return keys


def _secret_keys(wiring: Wiring) -> Callable[[Any], list[str]]:
    def keys(cr: Any) -> list[str]:
        return [object_key(cr.metadata.namespace, r.name) for r in wiring.secrets(cr) if r]

    return keys


def _lookup(informer: Informer, index: str) -> _Mapper:
    return _Mapper(informer, index)


class _Mapper:
    """Map an object to the requests of the objects indexed under its key."""

    def __init__(self, informer: Informer, index: str) -> None:
        self.informer = informer
        self.index = index

    def __call__(self, obj: KubeObject) -> Iterable[Request]:
        return [Request(o.namespace, o.name) for o in self.informer.by_index(self.index, obj.key)]


class _ParentMapper:
    """A child being deleted wakes its parent, whose finalizer may wait for it."""

    def __init__(self, keys: IndexFunc) -> None:
        self.keys = keys

    def __call__(self, obj: KubeObject) -> Iterable[Request]:
        if not obj.deletion_timestamp:
            return []
        return [Request.from_key(k) for k in self.keys(obj)]


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
    """Informers, indexes, watches and one controller per kind, all from WIRINGS."""
    namespaces = options.namespaces
    kinds = {w.model: resource_kind(w.model) for w in WIRINGS}
    informers = {kind: manager.informer(kind, namespaces=namespaces) for kind in kinds.values()}
    secrets = manager.informer(SECRETS, namespaces=namespaces, label_selector=OWNED_SECRET_SELECTOR)
    referenced = NamedWatches(manager.api, SECRETS, transform=manager.options.cache_transform)
    manager.informers.append(referenced)  # started, synced and stopped with the rest
    children: dict[ResourceKind, list[ChildIndex]] = {}
    for wiring in WIRINGS:
        informer = informers[kinds[wiring.model]]
        secret_keys = _typed(wiring.model, _secret_keys(wiring))
        informer.add_index(BY_SECRET, secret_keys)
        informer.add_event_handler(SecretRefTracker(referenced, secret_keys))
        if wiring.parent is not None:
            informer.add_index(
                wiring.parent.index, _typed(wiring.model, _parent_keys(wiring.parent))
            )
            parent_kind = kinds[wiring.parent.model]
            children.setdefault(parent_kind, []).append((kinds[wiring.model], wiring.parent.index))

    ctx = Context(
        api=manager.api,
        informers=informers,
        secrets=SecretCache(secrets, referenced, manager.api),
        events=EventRecorder(manager.api, COMPONENT),
        connections=ConnectionRegistry(),
        timing=options.timing,
        children=children,
    )
    for wiring in WIRINGS:
        kind = kinds[wiring.model]
        informer = informers[kind]
        controller = manager.controller(
            kind.kind.lower(),
            wiring.reconciler(ctx),
            workers=options.workers,
            rate_limiter=ItemExponentialFailureRateLimiter(
                options.timing.backoff_base, options.timing.backoff_cap
            ),
        )
        _watch_own_kind(controller, informer)
        watch_named(controller, kind, informers)  # clients: the users/clients policies name
        controller.watches(referenced, _lookup(informer, BY_SECRET))
        if wiring.parent is not None:
            # The parent's changes (its status too: Ready, realmId) requeue the children.
            controller.watches(
                informers[kinds[wiring.parent.model]], _lookup(informer, wiring.parent.index)
            )
        for child_kind, index in children.get(kind, ()):
            keys = _typed_parent_keys(child_kind, index)
            controller.watches(informers[child_kind], _ParentMapper(keys))
        if wiring.owns_secrets:
            # Only this kind creates these Secrets: their creation needs no reconcile,
            # their edits and deletions do (they are put back).
            controller.owns(secrets, owner_group=GROUP, owner_kind=kind.kind, on_create=False)
        for owned in wiring.owns:
            owned_informer = manager.informer(owned, namespaces=namespaces)
            controller.owns(owned_informer, owner_group=GROUP, owner_kind=kind.kind)
    return Controllers(ctx)


def _typed_parent_keys(child_kind: ResourceKind, index: str) -> IndexFunc:
    wiring = next(w for w in WIRINGS if resource_kind(w.model) == child_kind)
    assert wiring.parent is not None and wiring.parent.index == index
    return _typed(wiring.model, _parent_keys(wiring.parent))
