"""A work queue with client-go's concurrency contract (`util/workqueue`).

Contract, exactly:
- `add(k)`: ignored after shutdown. If `k` is dirty it is a no-op. Otherwise `k`
  becomes dirty and is pushed to the FIFO unless it is processing; then the push
  is deferred to `done(k)`.
- `get()`: blocks for a key, moves it from dirty to processing. It returns keys
  still queued after shutdown (that is the drain) and `None` once the queue is
  shut down and empty.
- `done(k)`: removes `k` from processing and pushes it if it became dirty.
  Every `get` must be paired with exactly one `done`, or a drain blocks.
- So no key is ever held by two workers, and any number of adds during
  processing collapse into one more pass.
- `add_after(k, d)`: `d <= 0` is `add`; otherwise `k` waits in a heap until its
  ready time, which a later `add_after` can only move earlier.
- `add_rate_limited(k)` is `add_after(k, limiter.when(k))`; `forget(k)` clears the
  failure history only (still call `done`); `num_requeues(k)` reads it.

All state sits under one lock. Delayed keys are promoted by whichever thread is
blocked in `get`, so the queue owns no thread of its own and none can leak.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import deque
from collections.abc import Hashable
from typing import Generic, Protocol, TypeVar

from .clock import REAL_CLOCK, Clock
from .ratelimit import RateLimiter, default_controller_rate_limiter

K = TypeVar("K", bound=Hashable)

# client-go's delaying queue wakes at least this often, so a stuck heap recovers.
MAX_WAIT = 10.0


class QueueMetricsSink(Protocol):
    def added(self, depth: int) -> None: ...
    def got(self, depth: int, queued_seconds: float) -> None: ...
    def done(self, work_seconds: float) -> None: ...
    def retried(self) -> None: ...


class _NoMetrics:
    def added(self, depth: int) -> None:
        return None

    def got(self, depth: int, queued_seconds: float) -> None:
        return None

    def done(self, work_seconds: float) -> None:
        return None

    def retried(self) -> None:
        return None


class RateLimitingQueue(Generic[K]):
    """FIFO + dirty/processing sets + delaying heap + rate limiter, like client-go's stack."""

    def __init__(
        self,
        rate_limiter: RateLimiter | None = None,
        *,
        clock: Clock = REAL_CLOCK,
        metrics: QueueMetricsSink | None = None,
    ) -> None:
        self._clock = clock
        self._limiter = rate_limiter or default_controller_rate_limiter(clock)
        self._metrics: QueueMetricsSink = metrics or _NoMetrics()
        lock = threading.Lock()
        self._cond = threading.Condition(lock)  # getters wait here: "a key may be ready"
        self._idle = threading.Condition(lock)  # drains wait here: "nothing processing"
        self._fifo: deque[K] = deque()
        self._dirty: set[K] = set()
        self._processing: set[K] = set()
        self._added_at: dict[K, float] = {}  # first add, for queue duration
        self._started_at: dict[K, float] = {}  # get time, for work duration
        self._waiting: list[tuple[float, int, K]] = []  # heap of (ready_at, seq, key)
        self._ready_at: dict[K, float] = {}
        self._seq = itertools.count()
        self._shutting_down = False

    # --- plain queue -------------------------------------------------------------

    def add(self, key: K) -> None:
        with self._cond:
            self._add_locked(key)

    def _add_locked(self, key: K) -> None:
        if self._shutting_down or key in self._dirty:
            return
        self._dirty.add(key)
        self._added_at.setdefault(key, self._clock.monotonic())
        if key in self._processing:
            return
        self._fifo.append(key)
        self._metrics.added(len(self._fifo))
        self._cond.notify()

    def get(self, timeout: float | None = None) -> K | None:
        """The next key, or None on shutdown (or when `timeout` elapses with nothing ready)."""
        deadline = None if timeout is None else self._clock.monotonic() + timeout
        with self._cond:
            while True:
                wait = self._promote_due_locked()
                if self._fifo:
                    break
                if self._shutting_down:
                    return None
                if deadline is not None:
                    remaining = deadline - self._clock.monotonic()
                    if remaining <= 0:
                        return None
                    wait = min(wait, remaining)
                self._cond.wait(wait)
            key = self._fifo.popleft()
            now = self._clock.monotonic()
            self._processing.add(key)
            self._dirty.discard(key)
            self._started_at[key] = now
            self._metrics.got(len(self._fifo), now - self._added_at.pop(key, now))
            return key

    def done(self, key: K) -> None:
        with self._cond:
            self._processing.discard(key)
            started = self._started_at.pop(key, None)
            if started is not None:
                self._metrics.done(self._clock.monotonic() - started)
            if key in self._dirty:
                self._fifo.append(key)
                self._metrics.added(len(self._fifo))
                self._cond.notify()
            if not self._processing:
                self._idle.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._fifo)

    # --- delaying ----------------------------------------------------------------

    def add_after(self, key: K, delay: float) -> None:
        with self._cond:
            if self._shutting_down:
                return
            self._metrics.retried()
            if delay <= 0:
                self._add_locked(key)
                return
            ready_at = self._clock.monotonic() + delay
            current = self._ready_at.get(key)
            if current is not None and current <= ready_at:
                return  # only ever move earlier
            self._ready_at[key] = ready_at
            # A stale heap entry for `key` is skipped when popped (ready_at mismatch).
            heapq.heappush(self._waiting, (ready_at, next(self._seq), key))
            self._cond.notify()  # a getter may need a shorter wait

    def _promote_due_locked(self) -> float:
        """Move due keys to the FIFO; return how long until the next one is due."""
        now = self._clock.monotonic()
        while self._waiting:
            ready_at, _seq, key = self._waiting[0]
            if self._ready_at.get(key) != ready_at:
                heapq.heappop(self._waiting)
                continue
            if ready_at > now:
                return min(ready_at - now, MAX_WAIT)
            heapq.heappop(self._waiting)
            del self._ready_at[key]
            self._add_locked(key)
        return MAX_WAIT

    def promote_due(self) -> None:
        """Promote due delayed keys now (tests with a fake clock call this)."""
        with self._cond:
            self._promote_due_locked()

    def waiting_count(self) -> int:
        with self._cond:
            return len(self._ready_at)

    # --- rate limiting -----------------------------------------------------------

    def add_rate_limited(self, key: K) -> None:
        self.add_after(key, self._limiter.when(key))

    def forget(self, key: K) -> None:
        self._limiter.forget(key)

    def num_requeues(self, key: K) -> int:
        return self._limiter.num_requeues(key)

    # --- in-flight metrics -------------------------------------------------------

    def unfinished_work_seconds(self) -> float:
        with self._cond:
            now = self._clock.monotonic()
            return sum(now - t for t in self._started_at.values())

    def longest_running_processor_seconds(self) -> float:
        with self._cond:
            now = self._clock.monotonic()
            return max((now - t for t in self._started_at.values()), default=0.0)

    # --- shutdown ----------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop accepting adds and wake every getter; queued keys are still handed out."""
        with self._cond:
            self._shutting_down = True
            self._waiting.clear()
            self._ready_at.clear()
            self._cond.notify_all()

    def shutdown_with_drain(self, timeout: float | None = None) -> bool:
        """Shut down, then wait until no key is processing; False if `timeout` ran out."""
        self.shutdown()
        deadline = None if timeout is None else self._clock.monotonic() + timeout
        with self._idle:
            while self._processing:
                if deadline is None:
                    self._idle.wait(MAX_WAIT)
                    continue
                remaining = deadline - self._clock.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
            return True

    @property
    def shutting_down(self) -> bool:
        with self._cond:
            return self._shutting_down
