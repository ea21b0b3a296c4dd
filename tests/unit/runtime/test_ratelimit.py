"""Limiter delays with an injected clock: exponential, bucket, MaxOf, forget."""

from __future__ import annotations

import pytest

from keycloak_controller.runtime.backoff import Backoff
from keycloak_controller.runtime.clock import FakeClock
from keycloak_controller.runtime.ratelimit import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    MaxOfRateLimiter,
    default_controller_rate_limiter,
)


def test_exponential_doubles_from_5ms_and_caps_at_1000s() -> None:
    limiter = ItemExponentialFailureRateLimiter(0.005, 1000.0)
    delays = [limiter.when("a") for _ in range(20)]
    assert delays[:4] == [0.005, 0.01, 0.02, 0.04]
    assert delays[17] == pytest.approx(655.36)
    # base * 2**18 = 1310.72 > 1000: the 19th failure hits the cap.
    assert delays[18] == 1000.0
    assert delays[19] == 1000.0
    assert limiter.num_requeues("a") == 20
    assert limiter.when("b") == 0.005  # per item


def test_exponential_forget_resets_only_that_item() -> None:
    limiter = ItemExponentialFailureRateLimiter(0.005, 1000.0)
    for _ in range(3):
        limiter.when("a")
        limiter.when("b")
    limiter.forget("a")
    assert limiter.num_requeues("a") == 0
    assert limiter.when("a") == 0.005
    assert limiter.when("b") == 0.04


def test_bucket_allows_burst_then_spaces_at_qps() -> None:
    clock = FakeClock()
    bucket = BucketRateLimiter(10.0, 100, clock=clock)
    assert [bucket.when(i) for i in range(100)] == [0.0] * 100
    assert bucket.when("x") == pytest.approx(0.1)
    assert bucket.when("y") == pytest.approx(0.2)
    clock.advance(0.2)  # two tokens refill, paying back the two reservations
    assert bucket.when("z") == pytest.approx(0.1)


def test_bucket_refills_to_burst_only() -> None:
    clock = FakeClock()
    bucket = BucketRateLimiter(10.0, 5, clock=clock)
    for i in range(5):
        bucket.when(i)
    clock.advance(3600)
    assert [bucket.when(i) for i in range(5)] == [0.0] * 5
    assert bucket.when("over") == pytest.approx(0.1)


def test_max_of_takes_the_longest_and_forgets_everywhere() -> None:
    clock = FakeClock()
    exp = ItemExponentialFailureRateLimiter(0.005, 1000.0)
    bucket = BucketRateLimiter(10.0, 1, clock=clock)
    limiter = MaxOfRateLimiter(exp, bucket)
    assert limiter.when("a") == 0.005  # bucket has a token; exponential wins
    assert limiter.when("a") == pytest.approx(0.1)  # bucket empty: 0.1 s beats 10 ms
    assert limiter.num_requeues("a") == 2
    limiter.forget("a")
    assert limiter.num_requeues("a") == 0


def test_default_controller_limiter_is_exp_5ms_and_bucket_10qps_100() -> None:
    clock = FakeClock()
    limiter = default_controller_rate_limiter(clock)
    first = [limiter.when(f"k{i}") for i in range(100)]
    assert first == [0.005] * 100
    assert limiter.when("k100") == pytest.approx(0.1)


def test_reflector_backoff_doubles_caps_and_resets_after_quiet() -> None:
    clock = FakeClock()

    class NoJitter:
        def random(self) -> float:
            return 0.0

    backoff = Backoff(clock=clock, rand=NoJitter())  # type: ignore[arg-type]
    delays = [backoff.next_delay() for _ in range(8)]
    assert delays == [0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0]
    clock.advance(121)
    assert backoff.next_delay() == 0.8


def test_reflector_backoff_jitter_stays_within_bounds() -> None:
    backoff = Backoff()
    first = backoff.next_delay()
    assert 0.8 <= first <= 1.6
