"""410 Gone: the first relist after a working watch is immediate; 410s in a row back off."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

from keycloak_controller.runtime.informer import Informer
from keycloak_controller.runtime.objects import CONFIG_MAPS, JSON

GONE: JSON = {"type": "ERROR", "object": {"kind": "Status", "code": 410, "reason": "Expired"}}


def added(name: str, rv: str) -> JSON:
    meta = {"name": name, "namespace": "ns", "resourceVersion": rv}
    return {"type": "ADDED", "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}}


class RecordedWaits(threading.Event):
    """The informer's stop event, recording each wait instead of sleeping."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        return self.is_set()


class Stream:
    def __init__(self, events: list[JSON]) -> None:
        self._events = events

    def events(self) -> Iterator[JSON]:
        yield from self._events

    def close(self) -> None:
        pass


class ScriptedApi:
    """Lists return nothing; each watch plays the next script, then the informer stops."""

    def __init__(self, informer_stop: threading.Event, watches: list[list[JSON]]) -> None:
        self._stop = informer_stop
        self._watches = watches
        self.lists = 0

    def get(self, path: str, **query: Any) -> JSON:
        self.lists += 1
        return {"items": [], "metadata": {"resourceVersion": str(self.lists)}}

    def stream(self, path: str, *, query: Mapping[str, Any], read_timeout: float) -> Stream:
        if not self._watches:
            self._stop.set()
            return Stream([])
        return Stream(self._watches.pop(0))


def relist_waits(watches: list[list[JSON]]) -> list[float | None]:
    stop = RecordedWaits()
    api = ScriptedApi(stop, watches)
    informer = Informer(api, CONFIG_MAPS)  # type: ignore[arg-type]
    informer._stop = stop
    informer._reflectors[0].run()
    assert api.lists == informer.relists + 1
    return stop.waits


def test_a_410_after_a_working_watch_relists_at_once_every_time() -> None:
    waits = relist_waits([[GONE], [added("a", "5"), GONE], [added("b", "9"), GONE]])
    assert waits == [0, 0, 0]


def test_410s_in_a_row_back_off_until_a_watch_works() -> None:
    waits = relist_waits([[GONE], [GONE], [GONE], [added("a", "5"), GONE]])
    assert waits[0] == 0
    assert all(isinstance(w, float) and w > 0 for w in waits[1:3]), waits
    assert waits[3] == 0
