"""A Kubernetes Event recorder that aggregates repeats (client-go's EventCorrelator, simplified).

- The same (object, type, reason, message) within `aggregation_window` bumps
  `count` and `lastTimestamp` on the existing Event instead of creating a new one.
- A per-object token bucket (burst 25, one token per 5 minutes, as client-go's
  spam filter) drops the rest, so one failing object cannot flood Events.
- Recording is best effort and synchronous with a short timeout: an Event must
  never fail or stall a reconcile for long, and no extra thread has to be stopped.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Literal

from .clock import REAL_CLOCK, Clock
from .kubeapi import KubeApi
from .logging import get_logger
from .objects import EVENTS, KubeObject
from .status import format_time

log = get_logger(__name__)

EventType = Literal["Normal", "Warning"]
EVENT_TIMEOUT = (5.0, 5.0)


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


class EventRecorder:
    def __init__(
        self,
        api: KubeApi,
        component: str,
        *,
        burst: int = 25,
        refill_seconds: float = 300.0,
        aggregation_window: float = 600.0,
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
        self.dropped = 0

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

    def event(self, obj: KubeObject, type_: EventType, reason: str, message: str) -> None:
        now = self.clock.monotonic()
        stamp = format_time(self.clock.now())
        key = (obj.uid or obj.key, type_, reason, message)
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None and now - seen.last_seen > self.aggregation_window:
                seen = None
            if not self._allow(obj.uid or obj.key, now):
                self.dropped += 1
                return
            if seen is not None:
                seen.count += 1
                seen.last_seen = now
                target = (seen.namespace, seen.name, seen.count)
            else:
                target = None
        try:
            if target is not None:
                namespace, name, count = target
                self.api.request(
                    "PATCH",
                    EVENTS.object_path(namespace, name),
                    body={"count": count, "lastTimestamp": stamp},
                    content_type="application/merge-patch+json",
                    timeout=EVENT_TIMEOUT,
                )
                return
            namespace = obj.namespace or "default"
            name = f"{obj.name}.{secrets.token_hex(8)}"
            self.api.request(
                "POST",
                EVENTS.collection_path(namespace),
                body={
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
                },
                timeout=EVENT_TIMEOUT,
            )
            with self._lock:
                self._seen[key] = _Seen(namespace, name, 1, now)
        except Exception as error:
            log.warning("recording event failed", reason=reason, error=str(error))
