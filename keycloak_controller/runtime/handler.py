"""Event handlers that turn informer events into queued requests, and nothing more.

- `EnqueueRequestForObject`: the object's own key.
- `EnqueueRequestForOwner`: owners matched on ownerReference group + kind only
  (like controller-runtime), in the child's namespace; on update, owners of both
  the old and the new object.
- `EnqueueRequestsFromMapFunc`: any mapping, typically an index lookup for
  cross-namespace references ("which realms does this Secret feed").

Every handler tells the queue a priority, as controller-runtime's handlers do
(`pkg/handler/eventhandler.go`): `LOW_PRIORITY` for an add from the informer's
initial list and for an update whose resourceVersion did not change (a resync
re-delivery, or a relist that found the object as it was); `NORMAL_PRIORITY`
for everything a user or another component did: watched adds and updates,
deletes, and adds seen by a relist. Owners and mapped objects get the priority
of the event that woke them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from .objects import KubeObject
from .reconcile import Request
from .workqueue import LOW_PRIORITY, NORMAL_PRIORITY


class RequestSink(Protocol):
    def add(self, key: Request, priority: int = NORMAL_PRIORITY) -> None: ...


MapFunc = Callable[[KubeObject], Iterable[Request]]


class _MappingHandler:
    def __init__(self, queue: RequestSink) -> None:
        self.queue = queue

    def requests(self, obj: KubeObject) -> Iterable[Request]:
        raise NotImplementedError

    def on_add(self, obj: KubeObject, is_initial_list: bool = False) -> None:
        priority = LOW_PRIORITY if is_initial_list else NORMAL_PRIORITY
        for request in self.requests(obj):
            self._add(request, priority)

    def on_update(self, old: KubeObject, new: KubeObject) -> None:
        priority = update_priority(old, new)
        for request in {*self.requests(old), *self.requests(new)}:
            self._add(request, priority)

    def on_delete(self, obj: KubeObject) -> None:
        for request in self.requests(obj):
            self._add(request, NORMAL_PRIORITY)

    def _add(self, request: Request, priority: int) -> None:
        # A normal add is a plain `add(key)`, so a sink that knows no priorities
        # (a test's list) still sees every user-visible event.
        if priority == NORMAL_PRIORITY:
            self.queue.add(request)
        else:
            self.queue.add(request, priority)


def update_priority(old: KubeObject, new: KubeObject) -> int:
    """Low for a re-delivery of what the cache already had (the same resourceVersion);
    an object without one (never from the apiserver) counts as changed."""
    unchanged = bool(new.resource_version) and old.resource_version == new.resource_version
    return LOW_PRIORITY if unchanged else NORMAL_PRIORITY


class EnqueueRequestForObject(_MappingHandler):
    def requests(self, obj: KubeObject) -> Iterable[Request]:
        return (Request(obj.namespace, obj.name),)


class EnqueueRequestForOwner(_MappingHandler):
    def __init__(
        self,
        queue: RequestSink,
        *,
        owner_group: str,
        owner_kind: str,
        only_controller: bool = True,
        owner_namespaced: bool = True,
        on_create: bool = True,
    ) -> None:
        super().__init__(queue)
        self.owner_group = owner_group
        self.owner_kind = owner_kind
        self.only_controller = only_controller
        self.owner_namespaced = owner_namespaced
        self.on_create = on_create

    def on_add(self, obj: KubeObject, is_initial_list: bool = False) -> None:
        # on_create=False: children are created by their owner's reconcile, which
        # already knows what it wrote; waking the owner for its own create costs a
        # whole extra reconcile per child. Updates and deletes still wake it.
        if self.on_create:
            super().on_add(obj, is_initial_list)

    def requests(self, obj: KubeObject) -> Iterable[Request]:
        namespace = obj.namespace if self.owner_namespaced else ""
        return [
            Request(namespace, ref.name)
            for ref in obj.owner_references
            if ref.group == self.owner_group
            and ref.kind == self.owner_kind
            and (ref.controller or not self.only_controller)
        ]


class EnqueueRequestsFromMapFunc(_MappingHandler):
    def __init__(self, queue: RequestSink, map_func: MapFunc) -> None:
        super().__init__(queue)
        self.map_func = map_func

    def requests(self, obj: KubeObject) -> Iterable[Request]:
        return list(self.map_func(obj))
