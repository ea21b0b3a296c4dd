"""The work queue's client-go contract, with an injected clock where delays matter."""

from __future__ import annotations

import threading
from collections import Counter

from keycloak_controller.runtime.clock import FakeClock
from keycloak_controller.runtime.ratelimit import ItemExponentialFailureRateLimiter
from keycloak_controller.runtime.workqueue import RateLimitingQueue


def make_queue(clock: FakeClock | None = None) -> RateLimitingQueue[str]:
    clock = clock or FakeClock()
    return RateLimitingQueue(ItemExponentialFailureRateLimiter(0.005, 1000.0), clock=clock)


def test_adds_of_a_dirty_key_are_deduplicated() -> None:
    q = make_queue()
    for _ in range(5):
        q.add("a")
    q.add("b")
    assert len(q) == 2
    assert q.get(timeout=0) == "a"
    assert q.get(timeout=0) == "b"
    assert q.get(timeout=0) is None


def test_readd_during_processing_is_deferred_until_done() -> None:
    q = make_queue()
    q.add("a")
    assert q.get(timeout=0) == "a"
    q.add("a")
    q.add("a")
    # Not handed out while it is processing, not even to another getter...
    assert q.get(timeout=0) is None
    q.done("a")
    # ...and the adds during processing collapse into exactly one more pass.
    assert q.get(timeout=0) == "a"
    q.done("a")
    assert q.get(timeout=0) is None


def test_done_without_readd_does_not_requeue() -> None:
    q = make_queue()
    q.add("a")
    assert q.get(timeout=0) == "a"
    q.done("a")
    assert len(q) == 0


def test_never_two_workers_on_one_key() -> None:
    q: RateLimitingQueue[str] = RateLimitingQueue()
    keys = [f"k{i}" for i in range(5)]
    holding: Counter[str] = Counter()
    overlap: list[str] = []
    processed: Counter[str] = Counter()
    lock = threading.Lock()

    def worker() -> None:
        while True:
            key = q.get()
            if key is None:
                return
            with lock:
                holding[key] += 1
                if holding[key] > 1:
                    overlap.append(key)
                processed[key] += 1
            # Re-add while processing, which is exactly what must not double-dispatch.
            q.add(key)
            with lock:
                holding[key] -= 1
            q.done(key)

    workers = [threading.Thread(target=worker) for _ in range(8)]
    for t in workers:
        t.start()
    for i in range(2000):
        q.add(keys[i % len(keys)])
    q.shutdown_with_drain(timeout=30)
    for t in workers:
        t.join(30)
    assert not overlap
    assert all(not t.is_alive() for t in workers)
    assert set(processed) == set(keys)


def test_add_after_orders_by_ready_time() -> None:
    clock = FakeClock()
    q = make_queue(clock)
    q.add_after("late", 3.0)
    q.add_after("early", 1.0)
    q.add_after("middle", 2.0)
    q.promote_due()
    assert q.get(timeout=0) is None
    clock.advance(2.5)
    assert q.get(timeout=0) == "early"
    assert q.get(timeout=0) == "middle"
    assert q.get(timeout=0) is None
    clock.advance(1.0)
    assert q.get(timeout=0) == "late"


def test_add_after_only_moves_earlier() -> None:
    clock = FakeClock()
    q = make_queue(clock)
    q.add_after("a", 5.0)
    q.add_after("a", 10.0)  # later: ignored
    clock.advance(5.0)
    assert q.get(timeout=0) == "a"
    q.done("a")
    q.add_after("b", 10.0)
    q.add_after("b", 1.0)  # earlier: wins
    clock.advance(1.0)
    assert q.get(timeout=0) == "b"
    q.done("b")
    clock.advance(20.0)
    assert q.get(timeout=0) is None  # the superseded entry does not fire again


def test_add_after_non_positive_is_plain_add() -> None:
    q = make_queue()
    q.add_after("a", 0)
    q.add_after("b", -1)
    assert q.get(timeout=0) == "a"
    assert q.get(timeout=0) == "b"


def test_rate_limited_add_uses_limiter_and_forget_resets() -> None:
    clock = FakeClock()
    q = make_queue(clock)
    q.add_rate_limited("a")  # 5 ms
    q.add_rate_limited("a")  # 10 ms (but only-earlier keeps 5 ms)
    assert q.num_requeues("a") == 2
    clock.advance(0.004)
    assert q.get(timeout=0) is None
    clock.advance(0.001)
    assert q.get(timeout=0) == "a"
    q.forget("a")
    assert q.num_requeues("a") == 0
    q.done("a")


def test_shutdown_drains_in_flight_work_and_hands_out_queued_keys() -> None:
    q: RateLimitingQueue[str] = RateLimitingQueue()
    q.add("a")
    q.add("b")
    assert q.get() == "a"
    q.shutdown()
    q.add("c")  # ignored after shutdown
    assert q.get() == "b"  # queued before shutdown: still handed out
    assert q.get() is None
    assert q.shutdown_with_drain(timeout=0) is False  # "a" and "b" still processing
    q.done("a")
    assert q.shutdown_with_drain(timeout=0) is False  # "b" still processing
    q.done("b")
    assert q.shutdown_with_drain(timeout=0) is True


def test_drain_waits_for_a_worker_to_call_done() -> None:
    q: RateLimitingQueue[str] = RateLimitingQueue()
    q.add("a")
    assert q.get() == "a"
    release = threading.Event()

    def worker() -> None:
        release.wait(30)
        q.done("a")

    t = threading.Thread(target=worker)
    t.start()
    release.set()
    assert q.shutdown_with_drain(timeout=30) is True
    t.join(30)


def test_shutdown_wakes_blocked_getters() -> None:
    q: RateLimitingQueue[str] = RateLimitingQueue()
    results: list[str | None] = []
    getters = [threading.Thread(target=lambda: results.append(q.get())) for _ in range(4)]
    for t in getters:
        t.start()
    q.shutdown()
    for t in getters:
        t.join(10)
    assert results == [None] * 4


def test_blocked_getter_wakes_for_delayed_key() -> None:
    q: RateLimitingQueue[str] = RateLimitingQueue()
    q.add_after("a", 0.01)
    assert q.get(timeout=30) == "a"


def test_in_flight_metrics_measure_processing_time() -> None:
    clock = FakeClock()
    q = make_queue(clock)
    q.add("a")
    q.add("b")
    q.get(timeout=0)
    clock.advance(2.0)
    q.get(timeout=0)
    clock.advance(1.0)
    assert q.longest_running_processor_seconds() == 3.0
    assert q.unfinished_work_seconds() == 4.0
