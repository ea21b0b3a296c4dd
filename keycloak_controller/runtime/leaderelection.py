"""Leader election on a coordination.k8s.io/v1 Lease, with client-go's loop semantics.

The official client's LeaseLock/LeaderElection (37.x) cannot be stopped, never
releases, keeps no leaseTransitions and times deadlines with the wall clock, so
this module writes the Lease itself through KubeApi:

- Optimistic concurrency: every update PUTs the resourceVersion we read; a
  concurrent writer gets 409 and loses the round.
- Another holder's lease is judged valid from our *monotonic* time at which we
  last saw its record change, plus its leaseDurationSeconds; `renewTime` is
  never compared with our wall clock, so clock skew between nodes is harmless.
- Taking over increments leaseTransitions; renewing keeps acquireTime.
- Renewal retries every retry_period until renew_deadline, counted from the
  start of the last renewal that succeeded; if that fails, or the Lease is seen
  held by another identity, `on_stopped_leading` stops all work and then
  `on_lost` (default `os._exit(1)`) ends the process: two leaders at once is
  worse than a restart.
- `stop()` on a leader releases: holderIdentity "" and leaseDurationSeconds 1,
  so a standby takes over at its next retry instead of waiting out the lease.

Fencing of writes (client-go has none): `may_write()` is true only while this
process leads *and* its last successful renewal started less than renew_deadline
ago, on the monotonic clock. Another candidate cannot take over before a full
lease_duration has passed since it saw that renewal, which it saw no earlier than
the renewal started; so a write guarded by `may_write()` starts at least
lease_duration - renew_deadline (5 s by default) before any other process may
lead. Callers check it right before each write (runtime/audit.py); what it
cannot stop is a write already on the wire, or a process paused between the
check and the send for longer than that margin.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .clock import REAL_CLOCK, Clock
from .kubeapi import ApiException, KubeApi
from .logging import get_logger
from .metrics import Metrics
from .objects import LEASES

log = get_logger(__name__)

JITTER_FACTOR = 1.2


def format_micro_time(value: dt.datetime) -> str:
    """RFC3339Micro as the apiserver's MicroTime requires: exactly 6 fractional digits, UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("MicroTime needs a timezone-aware datetime")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_identity() -> str:
    return f"{socket.gethostname()}_{uuid.uuid4()}"


def _exit_process() -> None:
    os._exit(1)  # skip graceful shutdown: another replica may already lead


@dataclass(frozen=True)
class LeaderElectionConfig:
    lease_name: str
    lease_namespace: str
    identity: str
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0

    def validate(self) -> None:
        if not self.lease_duration > self.renew_deadline > JITTER_FACTOR * self.retry_period:
            raise ValueError("need lease_duration > renew_deadline > 1.2 * retry_period")
        if self.retry_period <= 0:
            raise ValueError("retry_period must be positive")


@dataclass(frozen=True)
class LeaseRecord:
    holder_identity: str
    lease_duration_seconds: int
    acquire_time: str | None
    renew_time: str | None
    lease_transitions: int

    @classmethod
    def from_lease(cls, lease: dict[str, Any]) -> LeaseRecord:
        spec = lease.get("spec") or {}
        return cls(
            holder_identity=str(spec.get("holderIdentity") or ""),
            lease_duration_seconds=int(spec.get("leaseDurationSeconds") or 0),
            acquire_time=spec.get("acquireTime"),
            renew_time=spec.get("renewTime"),
            lease_transitions=int(spec.get("leaseTransitions") or 0),
        )

    def to_spec(self) -> dict[str, Any]:
        return {
            "holderIdentity": self.holder_identity,
            "leaseDurationSeconds": self.lease_duration_seconds,
            "acquireTime": self.acquire_time,
            "renewTime": self.renew_time,
            "leaseTransitions": self.lease_transitions,
        }


class LeaderElector:
    def __init__(
        self,
        api: KubeApi,
        config: LeaderElectionConfig,
        *,
        on_started_leading: Callable[[], None],
        on_stopped_leading: Callable[[], None] = lambda: None,
        on_lost: Callable[[], None] = _exit_process,
        metrics: Metrics | None = None,
        clock: Clock = REAL_CLOCK,
    ) -> None:
        config.validate()
        self.api = api
        self.config = config
        self.on_started_leading = on_started_leading
        self.on_stopped_leading = on_stopped_leading
        self.on_lost = on_lost
        self.clock = clock
        self._metric = (metrics or Metrics()).leader_election_master_status.labels(
            name=config.lease_name
        )
        self._metric.set(0)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._leading = threading.Event()
        self._observed: LeaseRecord | None = None
        self._observed_rv = ""
        self._observed_at = 0.0  # monotonic time the record was last seen to change
        # Monotonic time at which the last successful create/update of our record was
        # *sent*: the apiserver stored it no earlier, so others time our lease from later.
        self._renewed_at: float | None = None
        self._deposed = False  # the Lease was seen held by another identity while leading
        self._other_valid_until: float | None = None  # monotonic; another holder's lease
        # Each election call must end well inside the renew deadline (controller-runtime).
        self._request_timeout = max(config.renew_deadline / 2, 1.0)

    # --- public ------------------------------------------------------------------

    @property
    def is_leader(self) -> bool:
        return self._leading.is_set()

    def may_write(self) -> bool:
        """Leading, and the last renewal started less than renew_deadline ago (the fence)."""
        deadline = self.write_deadline()
        return deadline is not None and self.clock.monotonic() < deadline

    def write_deadline(self) -> float | None:
        """Monotonic time after which no write may start, or None when not leading."""
        if not self.is_leader or self._deposed or self._renewed_at is None:
            return None
        return self._renewed_at + self.config.renew_deadline

    def wait_until_leading(self, timeout: float | None = None) -> bool:
        return self._leading.wait(timeout)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="leader-election", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop campaigning; a leader releases the Lease (callers finish guarded work first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        if not self._acquire():
            return
        self._leading.set()
        self._metric.set(1)
        log.info("became leader", lease=self.config.lease_name, identity=self.config.identity)
        self.on_started_leading()
        if self._renew_until_stopped():
            self._leading.clear()  # shut the fence before the Lease is handed back
            self._release()
            self._metric.set(0)
            return
        self._leading.clear()
        self._metric.set(0)
        log.error("leader election lost", lease=self.config.lease_name)
        self.on_stopped_leading()
        self.on_lost()

    # --- loop --------------------------------------------------------------------

    def _acquire(self) -> bool:
        while not self._stop.is_set():
            if self._try_acquire_or_renew():
                return True
            self._stop.wait(self._acquire_wait())
        return False

    def _acquire_wait(self) -> float:
        """client-go's jittered retry period, cut short to try again the moment the
        other holder's lease runs out (saves up to a retry period on every takeover)."""
        period = self.config.retry_period
        wait = period + random.random() * JITTER_FACTOR * period
        if self._other_valid_until is not None:
            wait = min(wait, max(self._other_valid_until - self.clock.monotonic(), 0.0) + 0.01)
        return wait

    def _renew_until_stopped(self) -> bool:
        """True when stopped on request, False when a renewal missed its deadline or
        another identity holds the Lease."""
        cfg = self.config
        while not self._stop.wait(cfg.retry_period):
            while not self._try_acquire_or_renew():
                if self._stop.is_set():
                    return True
                if self._deposed:
                    log.error("lease is held by another identity", lease=cfg.lease_name)
                    return False
                # The same deadline as the write fence: give up no later than it shuts.
                deadline = self.write_deadline()
                if deadline is None or self.clock.monotonic() + cfg.retry_period > deadline:
                    return False
                self._stop.wait(cfg.retry_period)
        return True

    def _try_acquire_or_renew(self) -> bool:
        now = self.clock.now()
        cfg = self.config
        # Fast path: the current leader updates its last observed record optimistically.
        if self.is_leader and self._observed is not None:
            renewed = LeaseRecord(
                holder_identity=cfg.identity,
                lease_duration_seconds=int(cfg.lease_duration),
                acquire_time=self._observed.acquire_time,
                renew_time=format_micro_time(now),
                lease_transitions=self._observed.lease_transitions,
            )
            if self._update(renewed, self._observed_rv):
                return True
        try:
            lease = self.api.request(
                "GET",
                LEASES.object_path(cfg.lease_namespace, cfg.lease_name),
                timeout=self._request_timeout,
            )
        except ApiException as error:
            if error.status != 404:
                log.warning("reading lease failed", status=error.status, reason=error.reason)
                return False
            return self._create(now)
        except Exception as error:
            log.warning("reading lease failed", error=f"{type(error).__name__}: {error}")
            return False
        record = LeaseRecord.from_lease(lease)
        rv = str(lease["metadata"]["resourceVersion"])
        if record != self._observed:
            self._observed = record
            self._observed_rv = rv
            self._observed_at = self.clock.monotonic()
        else:
            self._observed_rv = rv
        if self.is_leader and record.holder_identity != cfg.identity:
            # Someone replaced our record (a takeover after a pause, or a hand edit):
            # we are not the leader any more, whatever our deadline says.
            self._deposed = True
            return False
        held_by_other = record.holder_identity not in ("", cfg.identity)
        valid_until = self._observed_at + record.lease_duration_seconds
        self._other_valid_until = valid_until if held_by_other else None
        if held_by_other and valid_until > self.clock.monotonic():
            return False
        micro_now = format_micro_time(now)
        if record.holder_identity == cfg.identity and self.is_leader:
            acquire_time, transitions = record.acquire_time, record.lease_transitions
        else:
            acquire_time, transitions = micro_now, record.lease_transitions + 1
        desired = LeaseRecord(
            holder_identity=cfg.identity,
            lease_duration_seconds=int(cfg.lease_duration),
            acquire_time=acquire_time,
            renew_time=micro_now,
            lease_transitions=transitions,
        )
        return self._update(desired, rv)

    def _create(self, now: dt.datetime) -> bool:
        cfg = self.config
        micro_now = format_micro_time(now)
        record = LeaseRecord(cfg.identity, int(cfg.lease_duration), micro_now, micro_now, 0)
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": cfg.lease_name, "namespace": cfg.lease_namespace},
            "spec": record.to_spec(),
        }
        sent_at = self.clock.monotonic()
        try:
            created = self.api.request(
                "POST",
                LEASES.collection_path(cfg.lease_namespace),
                body=body,
                timeout=self._request_timeout,
            )
        except Exception as error:
            log.info("creating lease failed", error=f"{type(error).__name__}: {error}")
            return False
        self._remember(record, created, sent_at)
        return True

    def _update(self, record: LeaseRecord, resource_version: str) -> bool:
        cfg = self.config
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": cfg.lease_name,
                "namespace": cfg.lease_namespace,
                "resourceVersion": resource_version,
            },
            "spec": record.to_spec(),
        }
        sent_at = self.clock.monotonic()
        try:
            updated = self.api.request(
                "PUT",
                LEASES.object_path(cfg.lease_namespace, cfg.lease_name),
                body=body,
                timeout=self._request_timeout,
            )
        except Exception as error:
            log.info("updating lease failed", error=f"{type(error).__name__}: {error}")
            return False
        self._remember(record, updated, sent_at)
        return True

    def _remember(self, record: LeaseRecord, lease: dict[str, Any], sent_at: float) -> None:
        self._observed = record
        self._observed_rv = str(lease["metadata"]["resourceVersion"])
        self._observed_at = self.clock.monotonic()
        if record.holder_identity == self.config.identity:
            self._renewed_at = sent_at

    def _release(self) -> None:
        """Hand the Lease back so a standby need not wait out the lease duration."""
        cfg = self.config
        for _attempt in range(3):
            if self._observed is None or self._observed.holder_identity != cfg.identity:
                return
            now = format_micro_time(self.clock.now())
            released = LeaseRecord(
                holder_identity="",
                lease_duration_seconds=1,
                acquire_time=now,
                renew_time=now,
                lease_transitions=self._observed.lease_transitions,
            )
            if self._update(released, self._observed_rv):
                log.info("released lease", lease=cfg.lease_name)
                return
            # Conflict: re-read, and only release if we still hold it.
            try:
                lease = self.api.request(
                    "GET",
                    LEASES.object_path(cfg.lease_namespace, cfg.lease_name),
                    timeout=self._request_timeout,
                )
            except Exception:
                return
            self._observed = LeaseRecord.from_lease(lease)
            self._observed_rv = str(lease["metadata"]["resourceVersion"])
