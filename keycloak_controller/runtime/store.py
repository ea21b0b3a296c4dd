"""A thread-safe object cache keyed `namespace/name`, with secondary indexes.

Index functions map an object to index values, e.g. "realm:ns/name" for objects
that reference a realm; `by_index` answers "which objects have this value".
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable

from .objects import KubeObject

IndexFunc = Callable[[KubeObject], Iterable[str]]
NAMESPACE_INDEX = "namespace"


def _namespace_index(obj: KubeObject) -> Iterable[str]:
    return (obj.namespace,)


class Indexer:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._items: dict[str, KubeObject] = {}
        self._index_funcs: dict[str, IndexFunc] = {NAMESPACE_INDEX: _namespace_index}
        # index name -> value -> keys
        self._indices: dict[str, defaultdict[str, set[str]]] = {NAMESPACE_INDEX: defaultdict(set)}

    def add_index(self, name: str, func: IndexFunc) -> None:
        with self._lock:
            if name in self._index_funcs:
                raise ValueError(f"index {name!r} already exists")
            self._index_funcs[name] = func
            index: defaultdict[str, set[str]] = defaultdict(set)
            for key, obj in self._items.items():
                for value in func(obj):
                    index[value].add(key)
            self._indices[name] = index

    def upsert(self, obj: KubeObject) -> KubeObject | None:
        """Store `obj`; return the object it replaced, if any."""
        key = obj.key
        with self._lock:
            old = self._items.get(key)
            if old is not None:
                self._unindex(key, old)
            self._items[key] = obj
            for name, func in self._index_funcs.items():
                for value in func(obj):
                    self._indices[name][value].add(key)
            return old

    def delete(self, key: str) -> KubeObject | None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._unindex(key, old)
            return old

    def _unindex(self, key: str, obj: KubeObject) -> None:
        for name, func in self._index_funcs.items():
            index = self._indices[name]
            for value in func(obj):
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]

    def get(self, key: str) -> KubeObject | None:
        with self._lock:
            return self._items.get(key)

    def objects(self) -> list[KubeObject]:
        with self._lock:
            return list(self._items.values())

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._items)

    def keys_in_namespace(self, namespace: str | None) -> list[str]:
        """All keys, or those of one namespace (what one reflector is responsible for)."""
        with self._lock:
            if namespace is None:
                return list(self._items)
            return list(self._indices[NAMESPACE_INDEX].get(namespace, ()))

    def index_keys(self, index: str, value: str) -> list[str]:
        with self._lock:
            return sorted(self._indices[index].get(value, ()))

    def by_index(self, index: str, value: str) -> list[KubeObject]:
        with self._lock:
            return [self._items[k] for k in sorted(self._indices[index].get(value, ()))]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
