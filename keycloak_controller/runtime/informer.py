"""Reflector and informer: a paged list, then a watch from the list's resourceVersion.

Semantics copied from client-go `tools/cache/reflector.go`:
- The informer tracks the resourceVersion itself (from events and bookmarks); the
  official client's `Watch` helper is not used because it restarts from the RV
  of unordered synthetic events and retries a 410 once with the same stale RV.
- A normal close (server timeout, 300-600 s with jitter) re-watches from the last
  RV without relisting. A 410 Expired/Gone relists (quorum read, RV "") and emits
  deletes for keys that vanished; the first relist after a working watch is
  immediate, 410s in a row back off. Any other error backs off (0.8 s doubling to
  30 s with jitter, reset after 2 min quiet) and watches again.
- The client read timeout (~70 s) is longer than the apiserver's one-minute
  bookmark interval, so a silently dead connection is noticed and replaced.

Handlers run on the reflector's thread, in event order; they must only enqueue.

A handler learns which adds come from a reflector's first list (client-go's and
controller-runtime's `isInInitialList`) if its `on_add` takes an
`is_initial_list` keyword, as the runtime's handlers do, so it can queue them at
low priority; a handler with a plain `on_add(obj)` is called as before. Adds
found by a later relist are not initial: they are objects created meanwhile.
Resyncs re-deliver `update(obj, obj)`, relists `update(cached, listed)`; an
unchanged resourceVersion tells a handler that nothing happened.
"""

from __future__ import annotations

import inspect
import logging
import random
import threading
from collections.abc import Sequence
from typing import Any, Protocol, cast

import urllib3

from .backoff import Backoff
from .clock import REAL_CLOCK, Clock
from .kubeapi import ApiException, KubeApi, WatchStream, status_reason
from .objects import JSON, KubeObject, ResourceKind
from .store import Indexer, IndexFunc
from .transform import Transform

log = logging.getLogger(__name__)

WATCH_TIMEOUT_RANGE = (300, 600)
READ_TIMEOUT = 70.0
PAGE_SIZE = 500
VERY_SHORT_WATCH = 1.0


class EventHandler(Protocol):
    def on_add(self, obj: KubeObject) -> None: ...
    def on_update(self, old: KubeObject, new: KubeObject) -> None: ...
    def on_delete(self, obj: KubeObject) -> None:
        """`obj` is the last state seen; after a relist it may be stale."""


class InitialListAwareHandler(EventHandler, Protocol):
    def on_add(self, obj: KubeObject, is_initial_list: bool = False) -> None: ...


def _takes_initial_list(handler: EventHandler) -> bool:
    try:
        parameters = inspect.signature(handler.on_add).parameters
    except (TypeError, ValueError):
        return False
    return "is_initial_list" in parameters


class ExpiredError(Exception):
    """The resourceVersion we hold is too old (HTTP 410 Expired/Gone): relist."""


def _is_expired(error: ApiException) -> bool:
    return error.status == 410 or status_reason(error) in ("Expired", "Gone")


class Informer:
    """One kind, one cache, one reflector thread per watched namespace (or one for all)."""

    def __init__(
        self,
        api: KubeApi,
        kind: ResourceKind,
        *,
        namespaces: Sequence[str] | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resync_period: float | None = None,
        page_size: int = PAGE_SIZE,
        watch_timeout_range: tuple[int, int] = WATCH_TIMEOUT_RANGE,
        read_timeout: float = READ_TIMEOUT,
        clock: Clock = REAL_CLOCK,
        transform: Transform | None = None,
    ) -> None:
        if namespaces is not None and not kind.namespaced:
            raise ValueError(f"{kind.kind} is cluster-scoped; it cannot be limited to namespaces")
        self.api = api
        self.kind = kind
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.resync_period = resync_period
        self.page_size = page_size
        self.watch_timeout_range = watch_timeout_range
        self.read_timeout = read_timeout
        self.clock = clock
        # Applied to every listed or watched object before it is cached or dispatched.
        self.transform = transform
        self.indexer = Indexer()
        self._handlers: list[EventHandler] = []
        self._initial_list_aware: list[bool] = []  # per handler: on_add takes the flag
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        scopes: list[str | None] = list(namespaces) if namespaces is not None else [None]
        self._reflectors = [_Reflector(self, ns) for ns in scopes]
        self.scope: tuple[str, ...] | None = tuple(namespaces) if namespaces is not None else None
        # Counted for tests and logs over the informer's life: 410-forced relists, and
        # bookmarks that moved the RV.
        self.relists = 0
        self.bookmarks = 0

    @property
    def name(self) -> str:
        return f"{self.kind.plural}.{self.kind.group or 'core'}"

    @property
    def watch_count(self) -> int:
        """Connections this informer holds open: one watch per namespace scope."""
        return len(self._reflectors)

    def add_event_handler(self, handler: EventHandler) -> None:
        """Register before `start`; objects already cached are not replayed."""
        self._handlers.append(handler)
        self._initial_list_aware.append(_takes_initial_list(handler))

    def add_index(self, name: str, func: IndexFunc) -> None:
        self.indexer.add_index(name, func)

    def start(self) -> None:
        for reflector in self._reflectors:
            thread = threading.Thread(
                target=reflector.run, name=f"reflector-{self.name}-{reflector.scope}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        if self.resync_period:
            thread = threading.Thread(target=self._resync_loop, name=f"resync-{self.name}")
            thread.daemon = True
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for reflector in self._reflectors:
            reflector.interrupt()
        for thread in self._threads:
            thread.join(timeout)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def last_sync_resource_version(self) -> str:
        """The RV the (first) reflector would watch from next; advanced by bookmarks too."""
        return self._reflectors[0].resource_version

    def has_synced(self) -> bool:
        return all(r.synced.is_set() for r in self._reflectors)

    def wait_for_sync(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else self.clock.monotonic() + timeout
        for reflector in self._reflectors:
            remaining = None if deadline is None else max(0.0, deadline - self.clock.monotonic())
            if not reflector.synced.wait(remaining):
                return False
        return True

    # Reads for reconcilers.
    def get(self, namespace: str, name: str) -> KubeObject | None:
        return self.indexer.get(f"{namespace}/{name}" if namespace else name)

    def objects(self) -> list[KubeObject]:
        return self.indexer.objects()

    def by_index(self, index: str, value: str) -> list[KubeObject]:
        return self.indexer.by_index(index, value)

    def _wrap(self, raw: JSON) -> KubeObject:
        return KubeObject(self.transform(raw) if self.transform is not None else raw)

    # Dispatch; a handler that raises must not kill the reflector.
    def _dispatch_upsert(
        self, old: KubeObject | None, new: KubeObject, *, is_initial_list: bool = False
    ) -> None:
        for handler, aware in zip(self._handlers, self._initial_list_aware, strict=True):
            try:
                if old is None and aware:
                    cast(InitialListAwareHandler, handler).on_add(
                        new, is_initial_list=is_initial_list
                    )
                elif old is None:
                    handler.on_add(new)
                else:
                    handler.on_update(old, new)
            except Exception:
                log.exception("event handler failed", extra={"informer": self.name})

    def _dispatch_delete(self, obj: KubeObject) -> None:
        for handler in self._handlers:
            try:
                handler.on_delete(obj)
            except Exception:
                log.exception("event handler failed", extra={"informer": self.name})

    def _resync_loop(self) -> None:
        # Re-delivers the cache as update(obj, obj); it never talks to the apiserver.
        assert self.resync_period
        while not self._stop.wait(self.resync_period * (1 + 0.1 * random.random())):
            for obj in self.indexer.objects():
                self._dispatch_upsert(obj, obj)


class _Reflector:
    def __init__(self, informer: Informer, namespace: str | None) -> None:
        self.informer = informer
        self.namespace = namespace
        self.scope = namespace or "all"
        self.synced = threading.Event()
        self.resource_version = ""
        self._lock = threading.Lock()
        self._stream: WatchStream | None = None
        self._backoff = Backoff(clock=informer.clock)
        # 410-forced relists since the last watch that delivered an event or closed
        # normally: the first of a run relists at once, the rest go through backoff.
        self.consecutive_relists = 0

    def interrupt(self) -> None:
        with self._lock:
            stream = self._stream
        if stream is not None:
            stream.close()

    @property
    def _path(self) -> str:
        return self.informer.kind.collection_path(self.namespace)

    def _selectors(self) -> dict[str, Any]:
        return {
            "labelSelector": self.informer.label_selector,
            "fieldSelector": self.informer.field_selector,
        }

    def run(self) -> None:
        inf = self.informer
        need_list = True
        list_rv = "0"  # first list may be served from the watch cache
        while not inf.stopped:
            try:
                if need_list:
                    self._list_and_replace(list_rv)
                    need_list = False
                    self.synced.set()
                self._watch()
                self.consecutive_relists = 0  # a normal close: the watch worked
            except ExpiredError:
                log.info("resourceVersion expired; relisting", extra={"informer": inf.name})
                inf.relists += 1
                self.consecutive_relists += 1
                need_list = True
                list_rv = ""  # quorum read: the old RV is gone
                if not inf.stopped:
                    # Relist at once after a working watch; 410s in a row go through backoff.
                    first = self.consecutive_relists == 1
                    inf._stop.wait(0 if first else self._backoff.next_delay())
            except Exception as error:  # every other failure means "retry later"
                if inf.stopped:
                    break
                delay = self._backoff.next_delay()
                log.warning(
                    "list/watch failed; retrying in %.2fs: %s",
                    delay,
                    _short(error),
                    extra={"informer": inf.name},
                )
                if need_list:
                    list_rv = self.resource_version or list_rv
                inf._stop.wait(delay)

    def _list_and_replace(self, rv: str) -> None:
        objects, list_rv = self._paged_list(rv)
        inf = self.informer
        initial = not self.synced.is_set()  # this reflector's first list
        seen: set[str] = set()
        for obj in objects:
            seen.add(obj.key)
            old = inf.indexer.upsert(obj)
            inf._dispatch_upsert(old, obj, is_initial_list=initial)
        for key in inf.indexer.keys_in_namespace(self.namespace):
            if key not in seen:
                gone = inf.indexer.delete(key)
                if gone is not None:
                    inf._dispatch_delete(gone)
        self.resource_version = list_rv

    def _paged_list(self, rv: str) -> tuple[list[KubeObject], str]:
        """Every page, each transformed as it arrives: holding the raw pages until
        the last one came in kept every object's managedFields in memory at once
        (a restart with 10,000 cached objects peaked tens of MB above its steady
        state, and glibc keeps a peak resident)."""
        api = self.informer.api
        query: dict[str, Any] = {**self._selectors(), "limit": self.informer.page_size}
        if rv:
            query["resourceVersion"] = rv
            query["resourceVersionMatch"] = "NotOlderThan"
        objects: list[KubeObject] = []
        while True:
            try:
                page = api.get(self._path, **query)
            except ApiException as error:
                if _is_expired(error) and "continue" in query:
                    # The continue token expired mid-list: client-go falls back to a full list.
                    return self._full_list()
                raise
            objects.extend(self._page_objects(page))
            meta = page.get("metadata") or {}
            token = meta.get("continue")
            if not token:
                return objects, str(meta.get("resourceVersion", ""))
            query = {**self._selectors(), "limit": self.informer.page_size, "continue": token}

    def _full_list(self) -> tuple[list[KubeObject], str]:
        page = self.informer.api.get(self._path, **self._selectors())
        objects = self._page_objects(page)
        return objects, str((page.get("metadata") or {}).get("resourceVersion", ""))

    def _page_objects(self, page: JSON) -> list[KubeObject]:
        kind = self.informer.kind
        objects: list[KubeObject] = []
        for item in page.get("items") or ():
            # List items carry no apiVersion/kind; give handlers the same shape as watch.
            item.setdefault("apiVersion", kind.api_version)
            item.setdefault("kind", kind.kind)
            objects.append(self.informer._wrap(item))
        return objects

    def _watch(self) -> None:
        inf = self.informer
        low, high = inf.watch_timeout_range
        query = {
            **self._selectors(),
            "watch": "true",
            "resourceVersion": self.resource_version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": random.randint(low, high),
        }
        started = inf.clock.monotonic()
        stream = inf.api.stream(self._path, query=query, read_timeout=inf.read_timeout)
        with self._lock:
            self._stream = stream
        if inf.stopped:  # stop() may have run before the stream was visible to interrupt()
            stream.close()
            return
        events = 0
        try:
            for event in stream.events():
                events += 1
                self._handle(event)
        except urllib3.exceptions.ReadTimeoutError:
            # Nothing, not even a bookmark, for `read_timeout`: the path may be dead, or the
            # kind is just quiet (the watch cache only sends bookmarks when its RV moves).
            # Re-watch at once from our RV; if the server is really gone, that attempt
            # fails and the backoff applies.
            log.debug("watch idle past the read timeout; re-watching", extra={"informer": inf.name})
            return
        except (urllib3.exceptions.ProtocolError, OSError):
            if inf.stopped:
                return
            raise
        finally:
            with self._lock:
                self._stream = None
            stream.close()
        if events == 0 and inf.clock.monotonic() - started < VERY_SHORT_WATCH and not inf.stopped:
            raise RuntimeError("very short watch: closed within 1s with no events")

    def _handle(self, event: JSON) -> None:
        inf = self.informer
        kind = event.get("type")
        raw = event.get("object") or {}
        if kind == "ERROR":
            code = int(raw.get("code") or 0)
            reason = str(raw.get("reason") or "")
            if code == 410 or reason in ("Expired", "Gone"):
                raise ExpiredError(raw.get("message", ""))
            raise ApiException(status=code, reason=reason, body=str(raw.get("message", "")))
        self.consecutive_relists = 0  # the watch delivered an event: it works again
        rv = str((raw.get("metadata") or {}).get("resourceVersion", ""))
        if kind == "BOOKMARK":
            inf.bookmarks += 1
            if rv:
                self.resource_version = rv
            return
        obj = inf._wrap(raw)
        if kind in ("ADDED", "MODIFIED"):
            old = inf.indexer.upsert(obj)
            inf._dispatch_upsert(old, obj)
        elif kind == "DELETED":
            inf.indexer.delete(obj.key)
            inf._dispatch_delete(obj)
        if rv:
            self.resource_version = rv


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"
