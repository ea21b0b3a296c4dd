"""A priority work queue with client-go's concurrency contract (`util/workqueue`).

The ordering follows controller-runtime's priority queue
(`pkg/controller/priorityqueue`): every key carries an integer priority, higher
first, FIFO within one priority. `NORMAL_PRIORITY` (0) is the default of every
add; `LOW_PRIORITY` (-100, controller-runtime's `handler.LowPriority`) is what the
event handlers give the informer's initial list and unchanged re-deliveries
(resyncs, relists), and what the controller gives a periodic resync, so that an
edit made during a cold start or a resync wave is worked before the wave.

Contract, exactly:
- `add(k, priority=NORMAL_PRIORITY)`: ignored after shutdown. If `k` is dirty it
  is not queued twice; a higher priority **promotes** it: it moves to the end of
  the new priority's FIFO (controller-runtime's rule, so FIFO holds within each
  priority); a lower or equal one changes nothing. Otherwise `k` becomes dirty at
  `priority` and is queued unless it is processing; then the push is deferred
  to `done(k)`.
- `get()`: blocks for the first key of the highest priority that has one, and
  moves it from dirty to processing. It returns keys still queued after
  shutdown (that is the drain) and `None` once the queue is shut down and empty.
  `get_with_priority()` is the same and also returns the priority the key was
  queued at, so the caller can requeue a retry at that priority.
- `done(k)`: removes `k` from processing and, if it became dirty meanwhile,
  queues it at the end of its (highest) dirty priority.
  Every `get` must be paired with exactly one `done`, or a drain blocks.
- So no key is ever held by two workers, and any number of adds during
  processing collapse into one more pass, whatever their priorities.
- `add_after(k, d, priority=NORMAL_PRIORITY)`: `d <= 0` is `add`; otherwise `k`
  waits in a heap until its ready time, which a later `add_after` can only move
  earlier; the waiting key keeps the highest priority it was given. When it
  comes due it is added at that priority (so it may promote a queued key).
- `add_rate_limited(k, priority=NORMAL_PRIORITY, max_delay=0)` is
  `add_after(k, limiter.when(k), priority)`, the delay capped at `max_delay`
  when that is > 0 (the failure is still counted); `forget(k)` clears the failure
  history only (still call `done`); `num_requeues(k)` reads it.
- `len(q)` counts queued keys of every priority; `depth_by_priority()` splits it.

All state sits under one lock. Delayed keys are promoted by whichever thread is
blocked in `get`, so the queue owns no thread of its own and none can leak.
Each priority is an insertion-ordered dict, so add, promotion and get are O(1);
there are only ever a few priorities, so finding the highest is a max over them.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Hashable
from typing import Generic, Protocol, TypeVar

from .clock import REAL_CLOCK, Clock
from .ratelimit import RateLimiter, default_controller_rate_limiter

K = TypeVar("K", bound=Hashable)

# client-go's delaying queue wakes at least this often, so a stuck heap recovers.
MAX_WAIT = 10.0

# controller-runtime's values: the default, and `handler.LowPriority`.
NORMAL_PRIORITY = 0
LOW_PRIORITY = -100


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
    """Per-priority FIFOs + dirty/processing sets + delaying heap + rate limiter,
    like client-go's stack with controller-runtime's priorities."""

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
        # priority -> keys queued at it, in FIFO order; only non-empty priorities.
        self._levels: dict[int, dict[K, None]] = {}
        self._queued = 0
        self._dirty: dict[K, int] = {}  # dirty key -> the priority it will be queued at
        self._processing: set[K] = set()
        self._added_at: dict[K, float] = {}  # first add, for queue duration
        self._started_at: dict[K, float] = {}  # get time, for work duration
        self._waiting: list[tuple[float, int, K]] = []  # heap of (ready_at, seq, key)
        self._ready_at: dict[K, float] = {}
        self._waiting_priority: dict[K, int] = {}
        self._seq = itertools.count()
        self._shutting_down = False

    # --- plain queue -------------------------------------------------------------

    def add(self, key: K, priority: int = NORMAL_PRIORITY) -> None:
        with self._cond:
            self._add_locked(key, priority)

    def _add_locked(self, key: K, priority: int) -> None:
        if self._shutting_down:
            return
        current = self._dirty.get(key)
        if current is not None:
            if priority > current:
                self._dirty[key] = priority
                if key not in self._processing:  # queued: move it to the new priority's end
                    self._unqueue_locked(key, current)
                    self._queue_locked(key, priority)
            return
        self._dirty[key] = priority
        self._added_at.setdefault(key, self._clock.monotonic())
        if key in self._processing:
            return
        self._queue_locked(key, priority)
        self._metrics.added(self._queued)
        self._cond.notify()

    def _queue_locked(self, key: K, priority: int) -> None:
        self._levels.setdefault(priority, {})[key] = None
        self._queued += 1

    def _unqueue_locked(self, key: K, priority: int) -> None:
        level = self._levels[priority]
        del level[key]
        if not level:
            del self._levels[priority]
        self._queued -= 1

    def get(self, timeout: float | None = None) -> K | None:
        """The next key, or None on shutdown (or when `timeout` elapses with nothing ready)."""
        got = self.get_with_priority(timeout)
        return None if got is None else got[0]

    def get_with_priority(self, timeout: float | None = None) -> tuple[K, int] | None:
        """Like `get`, with the priority the key was queued at."""
        deadline = None if timeout is None else self._clock.monotonic() + timeout
        with self._cond:
            while True:
                wait = self._promote_due_locked()
                if self._queued:
                    break
                if self._shutting_down:
                    return None
                if deadline is not None:
                    remaining = deadline - self._clock.monotonic()
                    if remaining <= 0:
                        return None
                    wait = min(wait, remaining)
                self._cond.wait(wait)
            priority = max(self._levels)
            level = self._levels[priority]
            key = next(iter(level))
            self._unqueue_locked(key, priority)
            now = self._clock.monotonic()
            self._processing.add(key)
            del self._dirty[key]
            self._started_at[key] = now
            self._metrics.got(self._queued, now - self._added_at.pop(key, now))
            return key, priority

    def done(self, key: K) -> None:
        with self._cond:
            if key not in self._processing:
                return  # not handed out (or done twice): a dirty key is already queued
            self._processing.discard(key)
            started = self._started_at.pop(key, None)
            if started is not None:
                self._metrics.done(self._clock.monotonic() - started)
            priority = self._dirty.get(key)
            if priority is not None:
                self._queue_locked(key, priority)
                self._metrics.added(self._queued)
                self._cond.notify()
            if not self._processing:
                self._idle.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return self._queued

    def depth_by_priority(self) -> dict[int, int]:
        """Queued keys per priority (priorities with none are left out)."""
        with self._cond:
            return {priority: len(level) for priority, level in self._levels.items()}

    # --- delaying ----------------------------------------------------------------

    def add_after(self, key: K, delay: float, priority: int = NORMAL_PRIORITY) -> None:
        with self._cond:
            if self._shutting_down:
                return
            self._metrics.retried()
            if delay <= 0:
                self._add_locked(key, priority)
                return
            ready_at = self._clock.monotonic() + delay
            waiting = self._waiting_priority.get(key)
            self._waiting_priority[key] = priority if waiting is None else max(waiting, priority)
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
            self._add_locked(key, self._waiting_priority.pop(key, NORMAL_PRIORITY))
        return MAX_WAIT

    def promote_due(self) -> None:
        """Promote due delayed keys now (tests with a fake clock call this)."""
        with self._cond:
            self._promote_due_locked()

    def waiting_count(self) -> int:
        with self._cond:
            return len(self._ready_at)

    # --- rate limiting -----------------------------------------------------------

    def add_rate_limited(
        self, key: K, priority: int = NORMAL_PRIORITY, max_delay: float = 0.0
    ) -> None:
        """client-go's AddRateLimited; `max_delay > 0` caps the delay, while the
        limiter still records the failure (so `forget` on success still resets it)."""
        delay = self._limiter.when(key)
        if max_delay > 0:
            delay = min(delay, max_delay)
        self.add_after(key, delay, priority)

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
            self._waiting_priority.clear()
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
