"""Controller result handling (the table in runtime/controller.py) and worker resilience."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from keycloak_controller.runtime.controller import Controller
from keycloak_controller.runtime.metrics import Metrics
from keycloak_controller.runtime.reconcile import Request, Result, TerminalError

REQ = Request("ns", "obj")


class ScriptedReconciler:
    def __init__(self, behaviour: Callable[[Request], Result]) -> None:
        self.behaviour = behaviour
        self.calls: list[Request] = []

    def reconcile(self, request: Request) -> Result:
        self.calls.append(request)
        return self.behaviour(request)


def run_once(behaviour: Callable[[Request], Result]) -> tuple[Controller, Metrics]:
    metrics = Metrics()
    controller = Controller("test", ScriptedReconciler(behaviour), metrics=metrics)
    controller.queue.add(REQ)
    request = controller.queue.get(timeout=0)
    assert request == REQ
    # Two prior failures, so we can tell whether the outcome forgets them.
    controller.queue.num_requeues(REQ)
    controller.process(REQ)
    controller.queue.done(REQ)
    return controller, metrics


def count(metrics: Metrics, result: str) -> float:
    value = metrics.registry.get_sample_value(
        "controller_runtime_reconcile_total", {"controller": "test", "result": result}
    )
    return value or 0.0


def errors(metrics: Metrics) -> float:
    value = metrics.registry.get_sample_value(
        "controller_runtime_reconcile_errors_total", {"controller": "test"}
    )
    return value or 0.0


def boom(_: Request) -> Result:
    raise RuntimeError("boom")


def terminal(_: Request) -> Result:
    raise TerminalError("bad spec")


def test_success_forgets_and_does_not_requeue() -> None:
    controller, metrics = run_once(lambda _: Result())
    assert controller.queue.num_requeues(REQ) == 0
    assert len(controller.queue) == 0
    assert controller.queue.waiting_count() == 0
    assert count(metrics, "success") == 1


def test_error_requeues_rate_limited() -> None:
    controller, metrics = run_once(boom)
    assert controller.queue.num_requeues(REQ) == 1
    assert controller.queue.waiting_count() == 1
    assert count(metrics, "error") == 1
    assert errors(metrics) == 1


def test_error_ignores_result_requeue_after() -> None:
    # A raise wins over any Result: the limiter's delay applies, not requeue_after.
    controller, _ = run_once(boom)
    assert controller.queue.num_requeues(REQ) == 1


def test_terminal_error_is_not_requeued() -> None:
    controller, metrics = run_once(terminal)
    assert controller.queue.num_requeues(REQ) == 0
    assert controller.queue.waiting_count() == 0
    assert len(controller.queue) == 0
    assert count(metrics, "error") == 1
    assert errors(metrics) == 1
    assert (
        metrics.registry.get_sample_value(
            "controller_runtime_terminal_reconcile_errors_total", {"controller": "test"}
        )
        == 1
    )


def test_requeue_after_forgets_then_adds_after() -> None:
    metrics = Metrics()
    controller = Controller(
        "test", ScriptedReconciler(lambda _: Result(requeue_after=30)), metrics=metrics
    )
    controller.queue.add_rate_limited(REQ)  # a prior failure to be forgotten
    controller.queue.add_rate_limited(REQ)
    assert controller.queue.num_requeues(REQ) == 2
    assert controller.queue.get(timeout=5) == REQ
    controller.process(REQ)
    controller.queue.done(REQ)
    assert controller.queue.num_requeues(REQ) == 0
    assert controller.queue.waiting_count() == 1
    assert count(metrics, "requeue_after") == 1


def test_requeue_is_rate_limited() -> None:
    controller, metrics = run_once(lambda _: Result(requeue=True))
    assert controller.queue.num_requeues(REQ) == 1
    assert controller.queue.waiting_count() == 1
    assert count(metrics, "requeue") == 1


def test_worker_survives_exceptions_and_keeps_working() -> None:
    seen: list[str] = []
    done = threading.Event()

    def behaviour(request: Request) -> Result:
        seen.append(request.name)
        if request.name.startswith("bad"):
            raise TerminalError("nope") if request.name == "bad-terminal" else ValueError("x")
        if request.name == "last":
            done.set()
        return Result()

    controller = Controller("test", ScriptedReconciler(behaviour), workers=1, metrics=Metrics())
    controller.start()
    for name in ("bad-value", "bad-terminal", "good", "last"):
        controller.queue.add(Request("ns", name))
    assert done.wait(30)
    assert controller.stop(timeout=30)
    assert seen[:4] == ["bad-value", "bad-terminal", "good", "last"]


def test_non_result_return_is_an_error_not_a_crash() -> None:
    controller, metrics = run_once(lambda _: None)  # type: ignore[arg-type,return-value]
    assert count(metrics, "error") == 1
    assert controller.queue.num_requeues(REQ) == 1


def test_no_threads_left_after_stop() -> None:
    before = set(threading.enumerate())
    controller = Controller(
        "test", ScriptedReconciler(lambda _: Result()), workers=8, metrics=Metrics()
    )
    controller.start()
    for i in range(100):
        controller.queue.add(Request("ns", f"o{i}"))
    assert controller.stop(timeout=30)
    assert set(threading.enumerate()) - before == set()


def test_workers_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Controller("test", ScriptedReconciler(lambda _: Result()), workers=0)


def test_stop_finishes_in_flight_work_and_drops_the_backlog() -> None:
    started, release = threading.Event(), threading.Event()
    seen: list[str] = []

    def behaviour(request: Request) -> Result:
        seen.append(request.name)
        started.set()
        release.wait(30)
        return Result()

    controller = Controller("test", ScriptedReconciler(behaviour), workers=1, metrics=Metrics())
    controller.start()
    controller.queue.add(Request("ns", "first"))
    assert started.wait(30)
    for i in range(10):
        controller.queue.add(Request("ns", f"backlog-{i}"))
    stopper = threading.Thread(target=lambda: seen.append(f"stopped={controller.stop(30)}"))
    stopper.start()
    while not controller._stopping.wait(0.01):  # stop() has begun before "first" ends
        pass
    release.set()
    stopper.join(30)
    assert seen == ["first", "stopped=True"]
