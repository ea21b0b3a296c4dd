"""The write fence: a leader stops writing at its renew deadline, before its lease can expire.

Driven by the fake clock against the in-memory Lease of test_leaderelection.
"""

from __future__ import annotations

from typing import Any

import pytest

from keycloak_controller.runtime import audit
from keycloak_controller.runtime.clock import FakeClock
from keycloak_controller.runtime.leaderelection import LeaderElectionConfig, LeaderElector
from keycloak_controller.runtime.manager import AuditedReconciler
from keycloak_controller.runtime.metrics import Metrics
from keycloak_controller.runtime.reconcile import Request, Result

from .test_leaderelection import FakeLeaseApi


class SlowLeaseApi(FakeLeaseApi):
    """Every request takes `delay` seconds on the fake clock before the apiserver answers."""

    def __init__(self, clock: FakeClock, delay: float) -> None:
        super().__init__()
        self.clock, self.delay = clock, delay

    def request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        self.clock.advance(self.delay)
        return super().request(method, path, **kwargs)


def leader(api: FakeLeaseApi, clock: FakeClock, identity: str = "a", **cfg: float) -> LeaderElector:
    le = LeaderElector(
        api,  # type: ignore[arg-type]
        LeaderElectionConfig("lease", "ns", identity, **cfg),
        on_started_leading=lambda: None,
        on_lost=lambda: None,
        metrics=Metrics(),
        clock=clock,
    )
    return le


def lead(le: LeaderElector) -> None:
    assert le._try_acquire_or_renew()
    le._leading.set()


def test_not_leading_never_writes() -> None:
    clock = FakeClock()
    le = leader(FakeLeaseApi(), clock)
    assert not le.may_write() and le.write_deadline() is None
    assert le._try_acquire_or_renew()  # holds the Lease, but run() has not started leading
    assert not le.may_write()


def test_the_fence_shuts_at_the_renew_deadline_without_a_renewal() -> None:
    clock = FakeClock()
    le = leader(FakeLeaseApi(), clock)
    lead(le)
    assert le.may_write()
    clock.advance(9.99)
    assert le.may_write()
    clock.advance(0.01)
    assert not le.may_write()  # 10 s (renew deadline) after the renewal: shut
    # ...while the lease, as other candidates time it, is valid for 5 s more.
    assert le.config.lease_duration - le.config.renew_deadline == 5.0


def test_a_renewal_moves_the_deadline() -> None:
    clock = FakeClock()
    le = leader(FakeLeaseApi(), clock)
    lead(le)
    clock.advance(8)
    assert le._try_acquire_or_renew()
    clock.advance(9)
    assert le.may_write()  # 17 s after acquiring, 9 s after the renewal
    clock.advance(1)
    assert not le.may_write()


def test_the_deadline_counts_from_when_the_renewal_was_sent() -> None:
    clock = FakeClock()
    api = SlowLeaseApi(clock, delay=3.0)  # the apiserver takes 3 s to answer
    le = leader(api, clock)
    sent = clock.monotonic()
    lead(le)  # a 404 GET, then the create: two slow requests
    assert le.write_deadline() == sent + 3.0 + 10.0  # the create was sent after the GET
    clock.advance(6.99)
    assert le.may_write()
    clock.advance(0.01)
    assert not le.may_write()


def test_another_holder_in_the_lease_shuts_the_fence_at_once() -> None:
    clock = FakeClock()
    api = FakeLeaseApi()
    le = leader(api, clock)
    lead(le)
    assert api.lease is not None
    api.lease["spec"]["holderIdentity"] = "someone-else"  # edited by hand
    api.rv += 1
    api.lease["metadata"]["resourceVersion"] = str(api.rv)
    clock.advance(2)
    assert not le._try_acquire_or_renew()  # the fast path conflicts, the read shows b
    assert le._deposed
    assert not le.may_write()  # 8 s before the deadline
    assert api.spec["holderIdentity"] == "someone-else"  # and it did not write it back


def test_failing_renewals_give_up_no_later_than_the_fence() -> None:
    """The renew loop (real 10 ms waits) against an apiserver that is down and slow."""
    clock = FakeClock()
    api = SlowLeaseApi(clock, delay=0.0)
    le = leader(api, clock, lease_duration=1.5, renew_deadline=1.0, retry_period=0.01)
    lead(le)
    deadline = le.write_deadline()
    assert deadline is not None
    api.fail, api.delay = True, 0.1  # every renewal now fails, 0.1 s later
    assert le._renew_until_stopped() is False
    assert not le.may_write()
    assert clock.monotonic() <= deadline + api.delay  # gave up by the deadline
    assert clock.monotonic() >= deadline - le.config.retry_period - api.delay  # not early


def test_the_manager_runs_each_reconcile_as_its_writer() -> None:
    seen: list[audit.Writer | None] = []

    class Probe:
        def reconcile(self, request: Request) -> Result:
            seen.append(audit.current_writer())
            return Result()

    writer = audit.Writer("host_1", may_write=lambda: False)
    assert AuditedReconciler(Probe(), writer).reconcile(Request("ns", "x")) == Result()
    assert seen == [writer]
    assert audit.current_writer() is None


def test_a_standby_tries_again_the_moment_the_other_lease_runs_out() -> None:
    clock = FakeClock()
    api = FakeLeaseApi()
    a, b = leader(api, clock, "a"), leader(api, clock, "b")
    lead(a)
    assert not b._try_acquire_or_renew()
    assert 2.0 <= b._acquire_wait() <= 2.0 + 1.2 * 2.0  # far from expiry: the jittered period
    clock.advance(14)
    assert not b._try_acquire_or_renew()
    assert b._acquire_wait() == pytest.approx(1.01)  # 1 s to expiry, not up to 4.4 s
    clock.advance(1.01)
    assert b._try_acquire_or_renew()
