"""Which Secrets the controller caches, and how: owned by label, referenced by name.

Why: a Secret informer over the watched namespaces caches every Secret there,
data included, and real namespaces are full of Secrets we never read (Helm
release Secrets of 50-500 KB). Memory then grows with the cluster, not the work.
So the cache is the union of two narrow ones:
- owned: one informer with the label selector `OWNED_SECRET_SELECTOR`; every
  Secret the controller creates carries the label (`kube.OWNED_SECRET_LABELS`);
- referenced: one watch per Secret some CR names (`NamedWatches`), kept in step
  with the CRs by `SecretRefTracker`, an event handler on each CR informer that
  reads the same `secrets` refs the "secret" index is built from.
A change to a referenced Secret is an event on its named watch; the "secret"
index maps it to the CRs that read it, as the full informer did.

`SecretCache.get` serves both. A name whose watch has not finished its first
list yet (a CR that just started referring to it) is read directly, once, so a
reconcile never sees a Secret as missing only because its watch is still starting.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from keycloak_controller.runtime.informer import Informer
from keycloak_controller.runtime.kubeapi import ApiException, KubeApi
from keycloak_controller.runtime.objects import SECRETS, KubeObject
from keycloak_controller.runtime.targeted import NamedWatches

log = logging.getLogger(__name__)

SecretKeys = Callable[[KubeObject], Iterable[str]]


class SecretRefTracker:
    """Keeps `NamedWatches` equal to the Secrets one CR kind refers to.

    Runs on the CR informer's thread, after its cache (and "secret" index) took
    the object; it only starts or stops watches, which never blocks.
    """

    def __init__(self, watches: NamedWatches, keys: SecretKeys) -> None:
        self.watches = watches
        self.keys = keys
        self._lock = threading.Lock()
        self._refs: dict[str, frozenset[str]] = {}  # CR key -> Secret keys

    def _set(self, obj: KubeObject, wanted: frozenset[str]) -> None:
        with self._lock:
            had = self._refs.get(obj.key, frozenset())
            if wanted:
                self._refs[obj.key] = wanted
            else:
                self._refs.pop(obj.key, None)
            # Acquire before release, under the lock, so counts never dip through zero.
            for key in sorted(wanted - had):
                self.watches.acquire(key)
            for key in sorted(had - wanted):
                self.watches.release(key)

    def on_add(self, obj: KubeObject, is_initial_list: bool = False) -> None:
        self._set(obj, frozenset(self.keys(obj)))

    def on_update(self, old: KubeObject, new: KubeObject) -> None:
        if old is not new and old.resource_version == new.resource_version:
            return  # a resync re-delivery: the refs are what they were
        self._set(new, frozenset(self.keys(new)))

    def on_delete(self, obj: KubeObject) -> None:
        self._set(obj, frozenset())


class SecretCache:
    """Secrets by `namespace/name`: the named watches, then the owned informer."""

    def __init__(self, owned: Informer, referenced: NamedWatches, api: KubeApi) -> None:
        self.owned = owned
        self.referenced = referenced
        self.api = api

    def get(self, namespace: str, name: str) -> KubeObject | None:
        """The cached Secret; a referenced one whose watch is still starting is read
        directly. A name neither owned nor referenced is None (not cached)."""
        if self.referenced.wanted(namespace, name):
            if self.referenced.watching(namespace, name):
                return self.referenced.get(namespace, name)
            return self.read(namespace, name)
        return self.owned.get(namespace, name)

    def read(self, namespace: str, name: str) -> KubeObject | None:
        """A direct GET (None if it does not exist), for Secrets not (yet) cached."""
        try:
            return KubeObject(self.api.get(SECRETS.object_path(namespace, name)))
        except ApiException as error:
            if error.status == 404:
                return None
            raise

    def is_cached(self, namespace: str, name: str) -> bool:
        return self.referenced.wanted(namespace, name)
