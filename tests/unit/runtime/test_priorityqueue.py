"""The work queue's priorities (controller-runtime's priority queue) on top of the
client-go contract: FIFO within a priority, promotion, no key held twice, deferred
re-adds, rate-limited re-adds at their priority, and the shutdown drain.

Delays use the fake clock; the only threads are the stress test's workers."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from keycloak_controller.runtime.clock import FakeClock
from keycloak_controller.runtime.controller import Controller
from keycloak_controller.runtime.handler import EnqueueRequestForObject, EnqueueRequestForOwner
from keycloak_controller.runtime.informer import Informer
from keycloak_controller.runtime.objects import CONFIG_MAPS, JSON, KubeObject
from keycloak_controller.runtime.ratelimit import ItemExponentialFailureRateLimiter
from keycloak_controller.runtime.reconcile import Request, Result
from keycloak_controller.runtime.workqueue import LOW_PRIORITY, NORMAL_PRIORITY, RateLimitingQueue

LOW, NORMAL = LOW_PRIORITY, NORMAL_PRIORITY


def make_queue(clock: FakeClock | None = None) -> RateLimitingQueue[str]:
    return RateLimitingQueue(
        ItemExponentialFailureRateLimiter(1.0, 60.0), clock=clock or FakeClock()
    )


def drain(q: RateLimitingQueue[str]) -> list[tuple[str, int]]:
    """Every ready key in hand-out order, each marked done at once."""
    out: list[tuple[str, int]] = []
    while (got := q.get_with_priority(timeout=0)) is not None:
        out.append(got)
        q.done(got[0])
    return out


def test_fifo_within_a_priority_and_higher_priorities_first() -> None:
    q = make_queue()
    for key in ("w1", "w2", "w3"):
        q.add(key, LOW)
    q.add("e1")
    q.add("w4", LOW)
    q.add("e2", NORMAL)
    assert q.depth_by_priority() == {LOW: 4, NORMAL: 2}
    assert len(q) == 6
    assert drain(q) == [
        ("e1", NORMAL),
        ("e2", NORMAL),
        ("w1", LOW),
        ("w2", LOW),
        ("w3", LOW),
        ("w4", LOW),
    ]


def test_a_higher_priority_add_promotes_to_the_end_of_its_new_priority() -> None:
    q = make_queue()
    for key in ("w1", "w2", "w3"):
        q.add(key, LOW)
    q.add("e1")
    q.add("w3", NORMAL)  # promoted: after e1, which was normal first
    assert len(q) == 4  # still one entry per key
    assert q.depth_by_priority() == {LOW: 2, NORMAL: 2}
    assert drain(q) == [("e1", NORMAL), ("w3", NORMAL), ("w1", LOW), ("w2", LOW)]


def test_a_lower_or_equal_add_of_a_queued_key_changes_nothing() -> None:
    q = make_queue()
    q.add("a")
    q.add("b")
    q.add("a", LOW)  # never demoted
    q.add("a")  # no move to the end either: it is a duplicate
    assert drain(q) == [("a", NORMAL), ("b", NORMAL)]


def test_a_key_processing_is_not_handed_out_again_whatever_its_priority() -> None:
    q = make_queue()
    q.add("a", LOW)
    assert q.get_with_priority(timeout=0) == ("a", LOW)
    q.add("a")  # an edit while it is reconciled
    q.add("a", LOW)
    assert q.get_with_priority(timeout=0) is None
    assert len(q) == 0
    q.done("a")
    # The adds collapse into one more pass, at the highest priority asked for.
    assert drain(q) == [("a", NORMAL)]


def test_an_add_during_processing_is_queued_after_done_behind_its_priority() -> None:
    q = make_queue()
    q.add("a")
    assert q.get(timeout=0) == "a"
    q.add("w1", LOW)
    q.add("e1")
    q.add("a", LOW)  # re-added at low while processing
    q.done("a")
    assert drain(q) == [("e1", NORMAL), ("w1", LOW), ("a", LOW)]


def test_a_promotion_while_processing_takes_effect_at_done() -> None:
    q = make_queue()
    q.add("a", LOW)
    assert q.get(timeout=0) == "a"
    q.add("a", LOW)
    q.add("w1", LOW)
    q.add("a")  # promoted while still processing: not handed out yet
    assert q.get_with_priority(timeout=0) == ("w1", LOW)
    q.done("w1")
    q.done("a")
    assert drain(q) == [("a", NORMAL)]


def test_a_delayed_key_comes_due_at_its_priority() -> None:
    clock = FakeClock()
    q = make_queue(clock)
    q.add("w1", LOW)
    q.add_after("retry", 5.0)  # normal
    q.add_after("resync", 5.0, LOW)
    clock.advance(4.9)
    q.promote_due()
    assert q.depth_by_priority() == {LOW: 1}
    clock.advance(0.2)
    assert drain(q) == [("retry", NORMAL), ("w1", LOW), ("resync", LOW)]


def test_a_waiting_key_keeps_the_highest_priority_and_the_earliest_time() -> None:
    clock = FakeClock()
    q = make_queue(clock)
    q.add_after("a", 10.0, LOW)
    q.add_after("a", 20.0, NORMAL)  # later time ignored, priority raised
    q.add("w1", LOW)
    clock.advance(10.0)
    assert drain(q) == [("a", NORMAL), ("w1", LOW)]
    assert q.waiting_count() == 0


def test_a_key_coming_due_promotes_its_queued_self_but_never_demotes() -> None:
    clock = FakeClock()
    q = make_queue(clock)
    q.add("a", LOW)
    q.add("b", LOW)
    q.add_after("b", 1.0, NORMAL)
    q.add_after("a", 1.0, LOW)
    clock.advance(1.0)
    assert drain(q) == [("b", NORMAL), ("a", LOW)]


def test_rate_limited_readds_keep_their_priority_and_back_off() -> None:
    clock = FakeClock()
    q = make_queue(clock)  # 1 s doubling
    q.add("w", LOW)
    assert q.get_with_priority(timeout=0) == ("w", LOW)
    q.add_rate_limited("w", LOW)
    q.done("w")
    assert q.get(timeout=0) is None
    assert q.num_requeues("w") == 1
    q.add("e")
    clock.advance(1.0)
    assert drain(q) == [("e", NORMAL), ("w", LOW)]
    q.add_rate_limited("w", LOW)  # second failure: 2 s
    clock.advance(1.0)
    assert drain(q) == []
    clock.advance(1.0)
    assert drain(q) == [("w", LOW)]
    q.forget("w")
    assert q.num_requeues("w") == 0


def test_shutdown_drains_queued_keys_in_priority_order_and_refuses_new_ones() -> None:
    clock = FakeClock()
    q = make_queue(clock)
    q.add("w1", LOW)
    q.add("e1")
    q.add("in-flight")
    assert q.get(timeout=0) == "e1"
    assert q.get(timeout=0) == "in-flight"
    q.add_after("later", 1.0)
    q.shutdown()
    q.add("e2")
    q.add("in-flight")  # refused too: a shut-down queue takes nothing
    q.add_rate_limited("w1")
    clock.advance(5.0)
    q.done("e1")
    assert q.get_with_priority(timeout=0) == ("w1", LOW)
    q.done("w1")
    assert q.get(timeout=0) is None  # "later" was dropped with the heap
    assert not q.shutdown_with_drain(timeout=0)  # "in-flight" still processing
    q.done("in-flight")
    assert q.shutdown_with_drain(timeout=0)
    assert q.get() is None  # shut down and empty: never blocks


def test_never_two_workers_on_one_key_with_mixed_priorities() -> None:
    q: RateLimitingQueue[str] = RateLimitingQueue()
    keys = [f"k{i}" for i in range(6)]
    holding: Counter[str] = Counter()
    overlap: list[str] = []
    processed: Counter[str] = Counter()
    lock = threading.Lock()

    def worker() -> None:
        while (got := q.get_with_priority()) is not None:
            key, priority = got
            with lock:
                holding[key] += 1
                if holding[key] > 1:
                    overlap.append(key)
                processed[key] += 1
            q.add(key, NORMAL if priority == LOW else LOW)  # re-add while processing
            with lock:
                holding[key] -= 1
            q.done(key)

    workers = [threading.Thread(target=worker) for _ in range(6)]
    for t in workers:
        t.start()
    for i in range(3000):
        q.add(keys[i % len(keys)], LOW if i % 3 else NORMAL)
    q.shutdown()
    for t in workers:
        t.join(30)
    assert not any(t.is_alive() for t in workers)
    assert overlap == []
    assert set(processed) == set(keys)


# --- where priorities come from: handlers, informer, controller -------------------------


class Sink:
    def __init__(self) -> None:
        self.added: list[tuple[Request, int]] = []

    def add(self, key: Request, priority: int = NORMAL) -> None:
        self.added.append((key, priority))


def cm(name: str, rv: str, owner: str | None = None) -> KubeObject:
    meta: dict[str, Any] = {"name": name, "namespace": "ns", "resourceVersion": rv}
    if owner:
        meta["ownerReferences"] = [
            {"apiVersion": "example.dev/v1", "kind": "Realm", "name": owner, "controller": True}
        ]
    return KubeObject({"metadata": meta})


def test_handlers_queue_initial_lists_and_unchanged_redeliveries_low() -> None:
    sink = Sink()
    handler = EnqueueRequestForObject(sink)
    a = cm("a", "1")
    handler.on_add(a, is_initial_list=True)
    handler.on_update(a, a)  # resync
    handler.on_update(a, cm("a", "1"))  # relist found it unchanged
    handler.on_add(cm("b", "2"))  # a watched create
    handler.on_update(a, cm("a", "3"))  # an edit
    handler.on_delete(cm("a", "3"))
    req_a, req_b = Request("ns", "a"), Request("ns", "b")
    assert sink.added == [
        (req_a, LOW),
        (req_a, LOW),
        (req_a, LOW),
        (req_b, NORMAL),
        (req_a, NORMAL),
        (req_a, NORMAL),
    ]


def test_owners_are_woken_at_the_priority_of_the_childs_event() -> None:
    sink = Sink()
    handler = EnqueueRequestForOwner(sink, owner_group="example.dev", owner_kind="Realm")
    child = cm("s", "1", owner="r")
    handler.on_add(child, is_initial_list=True)
    handler.on_update(child, child)
    handler.on_update(child, cm("s", "2", owner="r"))
    assert [p for _, p in sink.added] == [LOW, LOW, NORMAL]


def listed(name: str, rv: str) -> JSON:
    return {"metadata": {"name": name, "namespace": "ns", "resourceVersion": rv}}


GONE: JSON = {"type": "ERROR", "object": {"kind": "Status", "code": 410, "reason": "Expired"}}


class Stream:
    def __init__(self, events: list[JSON]) -> None:
        self._events = events

    def events(self) -> Iterator[JSON]:
        yield from self._events

    def close(self) -> None:
        pass


class TwoListsApi:
    """The first list has a and b; the watch ends in 410; the relist has a, b (changed)
    and c (created meanwhile); then the informer stops."""

    def __init__(self, informer_stop: threading.Event) -> None:
        self._stop = informer_stop
        self._lists = [
            [listed("a", "1"), listed("b", "2")],
            [listed("a", "1"), listed("b", "5"), listed("c", "6")],
        ]
        self._watches: list[list[JSON]] = [[GONE]]

    def get(self, path: str, **query: Any) -> JSON:
        return {"items": self._lists.pop(0), "metadata": {"resourceVersion": "9"}}

    def stream(self, path: str, *, query: Mapping[str, Any], read_timeout: float) -> Stream:
        if not self._watches:
            self._stop.set()
            return Stream([])
        return Stream(self._watches.pop(0))


class PlainHandler:
    """An old-style handler: `on_add(obj)` without the flag still gets every add."""

    def __init__(self) -> None:
        self.adds: list[str] = []

    def on_add(self, obj: KubeObject) -> None:
        self.adds.append(obj.name)

    def on_update(self, old: KubeObject, new: KubeObject) -> None:
        pass

    def on_delete(self, obj: KubeObject) -> None:
        pass


def test_only_a_reflectors_first_list_is_the_initial_list() -> None:
    informer = Informer(None, CONFIG_MAPS)  # type: ignore[arg-type]
    informer.api = TwoListsApi(informer._stop)  # type: ignore[assignment]
    sink, plain = Sink(), PlainHandler()
    informer.add_event_handler(EnqueueRequestForObject(sink))
    informer.add_event_handler(plain)
    informer._reflectors[0].run()
    assert informer.relists == 1
    assert [(r.name, p) for r, p in sink.added] == [
        ("a", LOW),  # first list
        ("b", LOW),
        ("a", LOW),  # relist: unchanged
        ("b", NORMAL),  # relist: changed meanwhile
        ("c", NORMAL),  # relist: created meanwhile, not part of the initial list
    ]
    assert plain.adds == ["a", "b", "c"]


class Failing:
    def __init__(self, result: Result | None = None) -> None:
        self.result = result

    def reconcile(self, request: Request) -> Result:
        if self.result is None:
            raise RuntimeError("keycloak is down")
        return self.result


def run_controller_once(reconciler: Failing, priority: int) -> Controller:
    controller = Controller("test", reconciler)
    controller.queue.add(Request("ns", "a"), priority)
    got = controller.queue.get_with_priority(timeout=0)
    assert got == (Request("ns", "a"), priority)
    controller.process(*got)
    controller.queue.done(got[0])
    return controller


def test_a_failed_reconcile_is_retried_at_the_priority_it_ran_at() -> None:
    for priority in (LOW, NORMAL):
        controller = run_controller_once(Failing(), priority)
        assert controller.queue.waiting_count() == 1
        # The default limiter's first delay is a few milliseconds.
        assert controller.queue.get_with_priority(timeout=30) == (Request("ns", "a"), priority)


def test_the_periodic_resync_comes_back_at_low_priority() -> None:
    controller = run_controller_once(Failing(Result(requeue_after=0.01)), NORMAL)
    assert controller.queue.get_with_priority(timeout=30) == (Request("ns", "a"), LOW)


def test_a_done_without_a_get_neither_queues_twice_nor_miscounts() -> None:
    q = make_queue()
    q.add("a", LOW)
    q.done("a")  # a caller's mistake: "a" was never handed out
    assert len(q) == 1
    assert drain(q) == [("a", LOW)]
    assert len(q) == 0
