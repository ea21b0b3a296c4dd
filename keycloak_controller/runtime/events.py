"""A Kubernetes Event recorder that aggregates repeats (client-go's EventCorrelator, simplified).

- The same (object, type, reason, message) within `aggregation_window` bumps
  `count` and `lastTimestamp` on the existing Event instead of creating a new one.
- A per-object token bucket (burst 25, one token per 5 minutes, as client-go's
  spam filter) drops the rest, so one failing object cannot flood Events.
- Recording is best effort and asynchronous, as client-go's broadcaster: `event`
  decides in memory and hands the API call to one sender thread, so a reconcile
  never waits for an Event. The backlog is bounded (`max_pending`); beyond it
  Events are dropped and counted, never blocking the caller.
- Bookkeeping for objects that have gone quiet is pruned, so memory follows the
  objects that are active, not every object ever seen.
"""

from __future__ import annotations

import queue
import secrets
import threading
from dataclasses import dataclass
from typing import Any, Literal

from .clock import REAL_CLOCK, Clock
from .kubeapi import KubeApi
from .logging import get_logger
from .objects import EVENTS, KubeObject
from .status import format_time

log = get_logger(__name__)

EventType = Literal["Normal", "Warning"]
EVENT_TIMEOUT = (5.0, 5.0)
PRUNE_INTERVAL = 60.0


@dataclass
class _Seen:
    namespace: str
    name: str
    count: int
    last_seen: float


@dataclass
class _Bucket:
    tokens: float
    last: float


@dataclass(frozen=True)
class _Send:
    """One API call for the sender thread: a new Event (POST) or a repeat (PATCH)."""

    method: str
    path: str
    body: dict[str, Any]
    content_type: str
    seen_key: tuple[str, str, str, str]
    reason: str


class EventRecorder:
    def __init__(
        self,
        api: KubeApi,
        component: str,
        *,
        burst: int = 25,
        refill_seconds: float = 300.0,
        aggregation_window: float = 600.0,
        max_pending: int = 1000,
        clock: Clock = REAL_CLOCK,
    ) -> None:
        self.api = api
        self.component = component
        self.burst = burst
        self.refill_seconds = refill_seconds
        self.aggregation_window = aggregation_window
        self.clock = clock
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str, str, str], _Seen] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._pruned_at = clock.monotonic()
        self._pending: queue.Queue[_Send | None] = queue.Queue(max_pending)
        self._sender: threading.Thread | None = None
        self._closed = False
        self.dropped = 0  # by the spam filter or a full backlog
        self.failed = 0  # API calls that failed

    def _allow(self, uid: str, now: float) -> bool:
        bucket = self._buckets.setdefault(uid, _Bucket(float(self.burst), now))
        bucket.tokens = min(
            float(self.burst), bucket.tokens + (now - bucket.last) / self.refill_seconds
        )
        bucket.last = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def _prune(self, now: float) -> None:
        """Forget repeats past the window and buckets that have refilled (lock held)."""
        if now - self._pruned_at < PRUNE_INTERVAL:
            return
        self._pruned_at = now
        window = self.aggregation_window
        self._seen = {k: v for k, v in self._seen.items() if now - v.last_seen <= window}
        full = self.burst * self.refill_seconds  # time for an empty bucket to refill
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.last < full}

    def event(self, obj: KubeObject, type_: EventType, reason: str, message: str) -> None:
        now = self.clock.monotonic()
        stamp = format_time(self.clock.now())
        key = (obj.uid or obj.key, type_, reason, message)
        with self._lock:
            if self._closed:
                return
            self._prune(now)
            seen = self._seen.get(key)
            if seen is not None and now - seen.last_seen > self.aggregation_window:
                seen = None
            if not self._allow(obj.uid or obj.key, now):
                self.dropped += 1
                return
            if seen is not None:
                seen.count += 1
                seen.last_seen = now
                send = _Send(
                    "PATCH",
                    EVENTS.object_path(seen.namespace, seen.name),
                    {"count": seen.count, "lastTimestamp": stamp},
                    "application/merge-patch+json",
                    key,
                    reason,
                )
            else:
                namespace = obj.namespace or "default"
                name = f"{obj.name}.{secrets.token_hex(8)}"
                # Recorded now, so a repeat queued behind this POST patches this Event.
                self._seen[key] = _Seen(namespace, name, 1, now)
                send = _Send(
                    "POST",
                    EVENTS.collection_path(namespace),
                    self._new_event(obj, namespace, name, type_, reason, message, stamp),
                    "application/json",
                    key,
                    reason,
                )
            self._start_sender()
        try:
            self._pending.put_nowait(send)
        except queue.Full:
            with self._lock:
                self.dropped += 1
                self._seen.pop(key, None)

    def _new_event(
        self,
        obj: KubeObject,
        namespace: str,
        name: str,
        type_: EventType,
        reason: str,
        message: str,
        stamp: str,
    ) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": {
                "apiVersion": obj.api_version,
                "kind": obj.kind,
                "name": obj.name,
                "namespace": obj.namespace,
                "uid": obj.uid,
                "resourceVersion": obj.resource_version,
            },
            "type": type_,
            "reason": reason,
            "message": message[:1024],
            "count": 1,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "source": {"component": self.component},
            "reportingComponent": self.component,
        }

    # --- the sender thread ---------------------------------------------------------------

    def _start_sender(self) -> None:
        if self._sender is None:
            self._sender = threading.Thread(target=self._send_loop, name="event-sender")
            self._sender.daemon = True  # best effort: never holds the process open
            self._sender.start()

    def _send_loop(self) -> None:
        while True:
            send = self._pending.get()
            try:
                if send is None:
                    return
                self._send(send)
            finally:
                self._pending.task_done()

    def _send(self, send: _Send) -> None:
        try:
            self.api.request(
                send.method,
                send.path,
                body=send.body,
                content_type=send.content_type,
                timeout=EVENT_TIMEOUT,
            )
        except Exception as error:
            with self._lock:
                self.failed += 1
                # The Event may not exist (POST failed, or it expired): start afresh.
                self._seen.pop(send.seen_key, None)
            log.warning("recording event failed", reason=send.reason, error=str(error))

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued Event has been sent (or failed); False on timeout."""
        done = threading.Event()

        def wait() -> None:
            self._pending.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Send what is queued (bounded by `timeout`), then stop the sender."""
        with self._lock:
            self._closed = True
            sender = self._sender
        if sender is None:
            return
        self.flush(timeout)
        try:
            self._pending.put_nowait(None)
        except queue.Full:
            return  # the daemon thread dies with the process
        sender.join(timeout)
