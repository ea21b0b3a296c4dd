"""The election loop's decisions against an in-memory Lease store, with an injected clock."""

from __future__ import annotations

import copy
from typing import Any

from keycloak_controller.runtime.clock import FakeClock
from keycloak_controller.runtime.kubeapi import ApiException
from keycloak_controller.runtime.leaderelection import LeaderElectionConfig, LeaderElector
from keycloak_controller.runtime.metrics import Metrics


class FakeLeaseApi:
    """GET/POST/PUT on one Lease with resourceVersion checks, like the apiserver."""

    def __init__(self) -> None:
        self.lease: dict[str, Any] | None = None
        self.rv = 0
        self.fail = False

    def request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        if self.fail:
            raise ApiException(status=503, reason="down")
        if method == "GET":
            if self.lease is None:
                raise ApiException(status=404, reason="NotFound")
            return copy.deepcopy(self.lease)
        body = copy.deepcopy(kwargs["body"])
        if method == "POST":
            if self.lease is not None:
                raise ApiException(status=409, reason="AlreadyExists")
        elif method == "PUT":
            assert self.lease is not None
            if body["metadata"]["resourceVersion"] != self.lease["metadata"]["resourceVersion"]:
                raise ApiException(status=409, reason="Conflict")
        self.rv += 1
        body["metadata"]["resourceVersion"] = str(self.rv)
        self.lease = body
        return copy.deepcopy(body)

    @property
    def spec(self) -> dict[str, Any]:
        assert self.lease is not None
        spec: dict[str, Any] = self.lease["spec"]
        return spec


def elector(api: FakeLeaseApi, identity: str, clock: FakeClock) -> LeaderElector:
    return LeaderElector(
        api,  # type: ignore[arg-type]
        LeaderElectionConfig("lease", "ns", identity),
        on_started_leading=lambda: None,
        on_lost=lambda: None,
        metrics=Metrics(),
        clock=clock,
    )


def test_first_candidate_creates_the_lease_with_micro_times() -> None:
    api, clock = FakeLeaseApi(), FakeClock()
    a = elector(api, "a", clock)
    assert a._try_acquire_or_renew()
    assert api.spec["holderIdentity"] == "a"
    assert api.spec["leaseDurationSeconds"] == 15
    assert api.spec["leaseTransitions"] == 0
    assert api.spec["renewTime"].endswith("Z") and len(api.spec["renewTime"].split(".")[1]) == 7


def test_validity_is_judged_from_local_observation_not_renew_time() -> None:
    api, clock = FakeLeaseApi(), FakeClock()
    a, b = elector(api, "a", clock), elector(api, "b", clock)
    assert a._try_acquire_or_renew()
    # The holder's renewTime says "long ago" (skewed clock); b has just seen the record.
    api.spec["renewTime"] = "2000-01-01T00:00:00.000000Z"
    assert not b._try_acquire_or_renew()
    clock.advance(14.9)
    assert not b._try_acquire_or_renew()  # still within 15 s of b first seeing it
    clock.advance(0.2)
    assert b._try_acquire_or_renew()
    assert api.spec["holderIdentity"] == "b"
    assert api.spec["leaseTransitions"] == 1


def test_a_changing_record_restarts_the_validity_window() -> None:
    api, clock = FakeLeaseApi(), FakeClock()
    a, b = elector(api, "a", clock), elector(api, "b", clock)
    a._leading.set()
    assert a._try_acquire_or_renew()
    assert not b._try_acquire_or_renew()
    clock.advance(10)
    assert a._try_acquire_or_renew()  # renewal changes renewTime and the RV
    clock.advance(10)
    assert not b._try_acquire_or_renew()  # 20 s since first seen, but only 10 since change
    clock.advance(16)
    assert b._try_acquire_or_renew()


def test_renewal_keeps_acquire_time_and_transitions() -> None:
    api, clock = FakeLeaseApi(), FakeClock()
    a = elector(api, "a", clock)
    assert a._try_acquire_or_renew()
    a._leading.set()
    acquired = api.spec["acquireTime"]
    clock.advance(2)
    assert a._try_acquire_or_renew()
    assert api.spec["acquireTime"] == acquired
    assert api.spec["renewTime"] != acquired
    assert api.spec["leaseTransitions"] == 0


def test_stale_resource_version_loses_the_race() -> None:
    api, clock = FakeLeaseApi(), FakeClock()
    a = elector(api, "a", clock)
    assert a._try_acquire_or_renew()
    a._leading.set()
    # Someone else writes in between: a's fast path conflicts, the slow path sees b.
    assert api.lease is not None
    api.lease["spec"]["holderIdentity"] = "b"
    api.rv += 1
    api.lease["metadata"]["resourceVersion"] = str(api.rv)
    a._leading.clear()
    assert not a._try_acquire_or_renew()
    assert api.spec["holderIdentity"] == "b"


def test_released_lease_is_taken_at_once() -> None:
    api, clock = FakeLeaseApi(), FakeClock()
    a, b = elector(api, "a", clock), elector(api, "b", clock)
    assert a._try_acquire_or_renew()
    a._leading.set()
    a._release()
    assert api.spec["holderIdentity"] == ""
    assert api.spec["leaseDurationSeconds"] == 1
    assert b._try_acquire_or_renew()
    assert api.spec["leaseTransitions"] == 1


def test_failed_renewal_calls_stop_then_lost() -> None:
    api = FakeLeaseApi()
    order: list[str] = []
    le = LeaderElector(
        api,  # type: ignore[arg-type]
        LeaderElectionConfig(
            "lease", "ns", "a", lease_duration=0.5, renew_deadline=0.3, retry_period=0.1
        ),
        on_started_leading=lambda: setattr(api, "fail", True),  # renewals now fail
        on_stopped_leading=lambda: order.append("stopped"),
        on_lost=lambda: order.append("lost"),
        metrics=Metrics(),
    )
    le.run()  # returns after the lost callbacks since on_lost does not exit here
    assert order == ["stopped", "lost"]
    assert not le.is_leader
