"""A short-lived, shared view of each realm's clients: one list read per realm per wave.

Why: a client reconcile needs the client's representation, and one search per
client makes a resync wave (or a restart, or a realm change, which requeue every
client of the realm) cost one Keycloak read per object. Clients of one realm
reconciled close together share one list of the realm's clients instead, so the
cost of a wave grows with the realms, not with the objects.

Rules:
- Every representation carries the time its read *started*; it is used only for
  `max_age` seconds after that (drift made in Keycloak is noticed at most
  `max_age` later than without the cache) and only if no write to that client
  by this process happened after the read started (`invalidate`).
- A lone lookup (no other client of the realm looked up in the last `max_age`)
  reads just its client with one search, so a single edit never pays for a
  realm-wide list; the second lookup within the window lists the realm.
- Concurrent lookups in one realm share one list read (single flight).
- A read made right after a write (create, then GET) is stored with `store`, so
  the reconciles that the write itself triggers (status, owned Secret) read nothing.
- Expired data is dropped on lookups and by a timer after each list, so the
  memory of a wave is given back.
- Representations are kept as compact JSON and validated again on a hit: a
  model instance costs about 4.9 KB, its JSON 1.4 KB, and a realm list holds
  every client of the realm for `max_age`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import ClientRepresentation, ProtocolMapperRepresentation

DEFAULT_MAX_AGE = 30.0
# Expiry walks every cached entry; lookups check freshness themselves, so the walk
# (which only frees memory) runs at most this often instead of on every lookup.
EXPIRE_INTERVAL = 1.0
_NEVER = float("-inf")


Packed = bytes  # a ClientRepresentation as compact JSON (see `_pack`)


def _dump(client: ClientRepresentation) -> Packed:
    return client.model_dump_json(by_alias=True, exclude_none=True).encode()


def _pack(client: ClientRepresentation | None) -> Packed | None:
    return None if client is None else _dump(client)


def _unpack(packed: Packed | None) -> ClientRepresentation | None:
    return None if packed is None else ClientRepresentation.model_validate_json(packed)


@dataclass
class _Realm:
    listed_at: float = _NEVER  # when the list read that filled `listed` started
    listed: dict[str, Packed] = field(default_factory=dict)
    # Reads of one client (search or GET), newer than the list: (read started, result).
    singles: dict[str, tuple[float, Packed | None]] = field(default_factory=dict)
    invalidated: dict[str, float] = field(default_factory=dict)
    last_lookup: float = _NEVER
    last_client: str = ""
    listing: threading.Event | None = None  # set while a list read is in flight


class ClientCache:
    def __init__(
        self,
        max_age: float = DEFAULT_MAX_AGE,
        *,
        clock: Callable[[], float] = time.monotonic,
        purge_timers: bool = True,
    ) -> None:
        self.max_age = max_age
        self.clock = clock
        self.purge_timers = purge_timers
        self._lock = threading.Lock()
        self._realms: dict[tuple[str, str], _Realm] = {}
        self._expired_at = _NEVER
        # Counted for tests and benchmarks.
        self.list_reads = 0
        self.single_reads = 0
        self.hits = 0

    @staticmethod
    def scope(admin: KeycloakAdmin) -> str:
        transport = admin.transport
        return f"{transport.instance}|{transport.base_url}"

    # --- lookups ------------------------------------------------------------------------

    def find(self, admin: KeycloakAdmin, realm: str, client_id: str) -> ClientRepresentation | None:
        """The client whose clientId is `client_id` (None: absent), cached or read."""
        key = (self.scope(admin), realm)
        while True:
            now = self.clock()
            waiting: threading.Event | None = None
            list_now = False
            with self._lock:
                self._expire(now)
                state = self._realms.setdefault(key, _Realm())
                found, packed = self._cached(state, client_id, now)
                if found:
                    self.hits += 1
                    self._note_lookup(state, client_id, now)
                elif state.listing is not None:
                    waiting = state.listing
                else:
                    wave = now - state.last_lookup < self.max_age and state.last_client != client_id
                    # A fresh list that cannot answer for this client (it was written
                    # since): read just this client.
                    list_now = wave and not self._fresh(state.listed_at, now)
                    if list_now:
                        state.listing = threading.Event()
                    self._note_lookup(state, client_id, now)
            if found:
                return _unpack(packed)  # outside the lock: validation is the costly part
            if waiting is not None:
                waiting.wait(admin.transport.settings.read_timeout + 5)
                continue
            if list_now:
                return self._list(admin, key, state, client_id)
            return self._single(admin, key, client_id)

    def store(
        self, admin: KeycloakAdmin, realm: str, client: ClientRepresentation, read_started: float
    ) -> None:
        """Remember a representation read (from `read_started`) outside `find`."""
        if not client.client_id:
            return
        with self._lock:
            state = self._realms.setdefault((self.scope(admin), realm), _Realm())
            self._put_single(state, client.client_id, read_started, _pack(client))

    def invalidate(self, admin: KeycloakAdmin, realm: str, client_id: str) -> None:
        """This process wrote (or is about to write) the client: stop trusting older reads."""
        now = self.clock()
        with self._lock:
            state = self._realms.setdefault((self.scope(admin), realm), _Realm())
            state.invalidated[client_id] = now
            state.singles.pop(client_id, None)

    def now(self) -> float:
        return self.clock()

    def client(self, admin: KeycloakAdmin, realm: str, client_id: str) -> CachedClient:
        """The self-invalidating view of one client that reconcilers read and write."""
        return CachedClient(self, admin, realm, client_id)

    def purge(self) -> None:
        with self._lock:
            self._expire(self.clock(), force=True)

    # --- internals (callers hold self._lock unless noted) --------------------------------

    def _fresh(self, read_started: float, now: float) -> bool:
        return now - read_started < self.max_age

    def _usable(self, state: _Realm, client_id: str, read_started: float, now: float) -> bool:
        return self._fresh(read_started, now) and read_started > state.invalidated.get(
            client_id, _NEVER
        )

    def _cached(self, state: _Realm, client_id: str, now: float) -> tuple[bool, Packed | None]:
        single = state.singles.get(client_id)
        if single is not None and self._usable(state, client_id, single[0], now):
            return True, single[1]
        if self._usable(state, client_id, state.listed_at, now):
            return True, state.listed.get(client_id)
        return False, None

    @staticmethod
    def _note_lookup(state: _Realm, client_id: str, now: float) -> None:
        state.last_lookup = now
        state.last_client = client_id

    def _put_single(
        self, state: _Realm, client_id: str, started: float, client: Packed | None
    ) -> None:
        if started <= state.invalidated.get(client_id, _NEVER):
            return  # written while we read: the read may predate the write
        current = state.singles.get(client_id)
        if current is None or current[0] < started:
            state.singles[client_id] = (started, client)

    def _expire(self, now: float, *, force: bool = False) -> None:
        if not force and now - self._expired_at < EXPIRE_INTERVAL:
            return
        self._expired_at = now
        for key in list(self._realms):
            state = self._realms[key]
            if not self._fresh(state.listed_at, now) and state.listed:
                state.listed = {}
                state.listed_at = _NEVER
            for client_id in [c for c, (t, _) in state.singles.items() if not self._fresh(t, now)]:
                del state.singles[client_id]
            for client_id in [c for c, t in state.invalidated.items() if not self._fresh(t, now)]:
                # Every read that could predate this write has expired by now.
                del state.invalidated[client_id]
            idle = not self._fresh(state.last_lookup, now)
            if idle and state.listing is None and not state.singles and not state.invalidated:
                del self._realms[key]

    def _single(
        self, admin: KeycloakAdmin, key: tuple[str, str], client_id: str
    ) -> ClientRepresentation | None:
        started = self.clock()
        client = admin.clients.find(key[1], client_id)  # outside the lock
        packed = _pack(client)
        with self._lock:
            self.single_reads += 1
            state = self._realms.setdefault(key, _Realm())
            self._put_single(state, client_id, started, packed)
        return client

    def _list(
        self, admin: KeycloakAdmin, key: tuple[str, str], state: _Realm, client_id: str
    ) -> ClientRepresentation | None:
        started = self.clock()
        listing = state.listing
        try:
            clients = admin.clients.list(key[1])  # outside the lock; no paging: all clients
            listed = {c.client_id: _dump(c) for c in clients if c.client_id}
            del clients  # the models go now; the packed JSON stays for max_age
        except BaseException:
            with self._lock:
                state.listing = None
            if listing is not None:
                listing.set()
            raise
        with self._lock:
            self.list_reads += 1
            state.listing = None
            state.listed = listed
            state.listed_at = started
            if self._realms.get(key) is not state:
                self._realms[key] = state
            found = state.listed.get(client_id)
        if listing is not None:
            listing.set()
        if self.purge_timers:
            timer = threading.Timer(self.max_age + 1.0, self.purge)
            timer.daemon = True
            timer.start()
        return _unpack(found)


class CachedClient:
    """One client (by clientId) through the cache: reads may be served from it; every
    write goes to Keycloak and first invalidates what the cache holds for this client,
    so no caller has to remember to."""

    def __init__(self, cache: ClientCache, admin: KeycloakAdmin, realm: str, client_id: str):
        self.cache = cache
        self.admin = admin
        self.realm = realm
        self.client_id = client_id

    # --- reads ----------------------------------------------------------------------------

    def find(self) -> ClientRepresentation | None:
        """Cached (up to `max_age` old): good for deciding whether anything differs."""
        return self.cache.find(self.admin, self.realm, self.client_id)

    def read(self, uuid: str) -> ClientRepresentation:
        """Fresh from Keycloak, and remembered: the base of a PUT."""
        started = self.cache.now()
        client = self.admin.clients.get(self.realm, uuid)
        self.cache.store(self.admin, self.realm, client, started)
        return client

    # --- writes ---------------------------------------------------------------------------

    def _written(self) -> None:
        self.cache.invalidate(self.admin, self.realm, self.client_id)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Invalidate before the write and again once it has ended: a read that another
        worker starts while the write is in flight is newer than the first
        invalidation but may not show the write (a list without a client just being
        created made its reconcile create it again, 409)."""
        self._written()
        try:
            yield
        finally:
            self._written()

    def create(self, client: ClientRepresentation) -> str:
        with self._writing():
            return self.admin.clients.create(self.realm, client)

    def update(self, uuid: str, client: ClientRepresentation) -> None:
        with self._writing():
            self.admin.clients.update(self.realm, uuid, client)

    def delete(self, uuid: str) -> None:
        with self._writing():
            self.admin.clients.delete(self.realm, uuid)

    def add_scope(self, uuid: str, scope_id: str, *, optional: bool) -> None:
        with self._writing():
            self.admin.clients.add_scope(self.realm, uuid, scope_id, optional=optional)

    def remove_scope(self, uuid: str, scope_id: str, *, optional: bool) -> None:
        with self._writing():
            self.admin.clients.remove_scope(self.realm, uuid, scope_id, optional=optional)

    def create_mapper(self, uuid: str, mapper: ProtocolMapperRepresentation) -> None:
        with self._writing():
            self.admin.client_protocol_mappers.create(self.realm, uuid, mapper)

    def update_mapper(self, uuid: str, mapper: ProtocolMapperRepresentation) -> None:
        with self._writing():
            self.admin.client_protocol_mappers.update(self.realm, uuid, mapper.id or "", mapper)

    def delete_mapper(self, uuid: str, mapper_id: str) -> None:
        with self._writing():
            self.admin.client_protocol_mappers.delete(self.realm, uuid, mapper_id)
