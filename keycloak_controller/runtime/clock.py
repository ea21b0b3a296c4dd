"""Time sources. Everything that measures delays takes a Clock so tests can inject one."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never jumps; used for every deadline and delay."""

    def now(self) -> dt.datetime:
        """Timezone-aware wall time; used only for timestamps written to the API."""


class RealClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FakeClock:
    """A manually advanced clock for unit tests."""

    def __init__(self, start: float = 1000.0) -> None:
        self._lock = threading.Lock()
        self._t = start
        self._wall = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

    def monotonic(self) -> float:
        with self._lock:
            return self._t

    def now(self) -> dt.datetime:
        with self._lock:
            return self._wall + dt.timedelta(seconds=self._t)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._t += seconds


REAL_CLOCK = RealClock()
