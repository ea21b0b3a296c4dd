"""Event handlers that turn informer events into queued requests, and nothing more.

- `EnqueueRequestForObject`: the object's own key.
- `EnqueueRequestForOwner`: owners matched on ownerReference group + kind only
  (like controller-runtime), in the child's namespace; on update, owners of both
  the old and the new object.
- `EnqueueRequestsFromMapFunc`: any mapping, typically an index lookup for
  cross-namespace references ("which realms does this Secret feed").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from .objects import KubeObject
from .reconcile import Request


class RequestSink(Protocol):
    def add(self, key: Request) -> None: ...


MapFunc = Callable[[KubeObject], Iterable[Request]]


class _MappingHandler:
    def __init__(self, queue: RequestSink) -> None:
        self.queue = queue

    def requests(self, obj: KubeObject) -> Iterable[Request]:
        raise NotImplementedError

    def on_add(self, obj: KubeObject) -> None:
        for request in self.requests(obj):
            self.queue.add(request)

    def on_update(self, old: KubeObject, new: KubeObject) -> None:
        for request in {*self.requests(old), *self.requests(new)}:
            self.queue.add(request)

    def on_delete(self, obj: KubeObject) -> None:
        for request in self.requests(obj):
            self.queue.add(request)


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

    def on_add(self, obj: KubeObject) -> None:
        # on_create=False: children are created by their owner's reconcile, which
        # already knows what it wrote; waking the owner for its own create costs a
        # whole extra reconcile per child. Updates and deletes still wake it.
        if self.on_create:
            super().on_add(obj)

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
