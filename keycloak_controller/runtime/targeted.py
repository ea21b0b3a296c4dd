"""Watches of single named objects, for a set of names that changes at run time.

Why: a full informer caches every object of its kind in the watched namespaces.
For Secrets that is the whole cluster's Helm releases and service-account
tokens, of which a controller reads a handful. `NamedWatches` holds one watch
per wanted object instead (`fieldSelector=metadata.name=<name>` in its
namespace), so the cache holds exactly the objects someone asked for, and a
change to one of them is still an event, delivered as fast as any informer's.

Names are reference-counted: `acquire(key)` by each referrer, `release(key)`
when it stops referring; the last release stops the watch and drops the object.
Each watch is a one-scope `Informer` (same list/watch/relist/backoff semantics,
one reflector thread and one connection); their events are re-dispatched, in
order per object, to the handlers registered here, so this object is used like
any informer (`Controller.watches`, the manager's start, sync and stop).

`get` answers only for names being watched; `watching(...)` says whether a
name's watch has synced, so a caller can fall back to a direct read before it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from .clock import REAL_CLOCK
from .informer import Informer
from .kubeapi import KubeApi
from .objects import KubeObject, ResourceKind
from .transform import Transform

log = logging.getLogger(__name__)

InformerFactory = Callable[[str, str], Informer]


class _Forward:
    """One named watch's events, re-dispatched to the handlers of the set."""

    def __init__(self, owner: NamedWatches) -> None:
        self.owner = owner

    def on_add(self, obj: KubeObject, is_initial_list: bool = False) -> None:
        self.owner._dispatch_upsert(None, obj, is_initial_list=is_initial_list)

    def on_update(self, old: KubeObject, new: KubeObject) -> None:
        self.owner._dispatch_upsert(old, new)

    def on_delete(self, obj: KubeObject) -> None:
        self.owner._dispatch_delete(obj)


class NamedWatches(Informer):
    """A reference-counted set of single-object watches of one namespaced kind."""

    def __init__(
        self,
        api: KubeApi,
        kind: ResourceKind,
        *,
        transform: Transform | None = None,
        factory: InformerFactory | None = None,
    ) -> None:
        if not kind.namespaced:
            raise ValueError(f"{kind.kind} is cluster-scoped; named watches are per namespace")
        # No reflectors of its own: every watch is a child informer.
        super().__init__(api, kind, namespaces=[], transform=transform, clock=REAL_CLOCK)
        self._factory = factory or self._named_informer
        self._lock = threading.Lock()
        self._refs: dict[str, int] = {}
        self._watches: dict[str, Informer] = {}
        self._started = False
        self._initial_synced = False

    @property
    def name(self) -> str:
        return f"{super().name}(named)"

    @property
    def watch_count(self) -> int:
        with self._lock:
            return len(self._watches)

    def keys(self) -> list[str]:
        with self._lock:
            return sorted(self._watches)

    def _named_informer(self, namespace: str, name: str) -> Informer:
        return Informer(
            self.api,
            self.kind,
            namespaces=[namespace],
            field_selector=f"metadata.name={name}",
            transform=self.transform,
        )

    # --- the wanted set ----------------------------------------------------------

    def acquire(self, key: str) -> None:
        """One more referrer of `namespace/name`; the first starts its watch."""
        with self._lock:
            self._refs[key] = self._refs.get(key, 0) + 1
            if key in self._watches:
                return
            namespace, _, name = key.partition("/")
            watch = self._factory(namespace, name)
            watch.add_event_handler(_Forward(self))
            self._watches[key] = watch
            start = self._started and not self.stopped
        if start:
            watch.start()

    def release(self, key: str) -> None:
        """One referrer fewer; the last stops the watch (without waiting for its thread)."""
        with self._lock:
            count = self._refs.get(key, 0) - 1
            if count > 0:
                self._refs[key] = count
                return
            self._refs.pop(key, None)
            watch = self._watches.pop(key, None)
        if watch is not None:
            watch.stop(timeout=0)

    # --- Informer ----------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            self._started = True
            watches = list(self._watches.values())
        for watch in watches:
            watch.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        with self._lock:
            watches = list(self._watches.values())
        for watch in watches:
            watch.stop(timeout=0)
        for watch in watches:
            watch.stop(timeout)

    def has_synced(self) -> bool:
        """Latched once the names wanted at start have synced: a name added later
        (a new CR) must not flip the process's readiness."""
        if self._initial_synced:
            return True
        with self._lock:
            watches = list(self._watches.values())
        synced = all(w.has_synced() for w in watches)
        if synced and self._started:
            self._initial_synced = True
        return synced

    def wait_for_sync(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else self.clock.monotonic() + timeout
        with self._lock:
            watches = list(self._watches.values())
        for watch in watches:
            remaining = None if deadline is None else max(0.0, deadline - self.clock.monotonic())
            if not watch.wait_for_sync(remaining):
                return False
        self._initial_synced = self._started
        return True

    def watching(self, namespace: str, name: str) -> bool:
        """True when `namespace/name` has a watch whose first list is done."""
        with self._lock:
            watch = self._watches.get(f"{namespace}/{name}")
        return watch is not None and watch.has_synced()

    def wanted(self, namespace: str, name: str) -> bool:
        with self._lock:
            return f"{namespace}/{name}" in self._watches

    def get(self, namespace: str, name: str) -> KubeObject | None:
        with self._lock:
            watch = self._watches.get(f"{namespace}/{name}")
        return watch.get(namespace, name) if watch is not None else None

    def objects(self) -> list[KubeObject]:
        with self._lock:
            watches = list(self._watches.values())
        return [obj for watch in watches for obj in watch.objects()]

    def by_index(self, index: str, value: str) -> list[KubeObject]:
        raise NotImplementedError("named watches keep no indexes; index the referrers")
