"""An edit made during a wave is reconciled before the wave's remaining items.

A real kube-apiserver, the runtime's informer, handlers, priority queue and
controller, one worker, and a wave of ConfigMaps (a cheap kind: no Keycloak).
The reconciler records the order in which keys are reconciled and what it read
from the cache, and holds the worker at one point in the wave, so the edits are
made at a known place in it: the assertions are on order and counts, never on
time.

- cold start: the informer's initial list queues every object at low priority;
- resync wave: each reconcile returns `requeue_after` (the project's periodic
  resync), which comes back at low priority.

In both, one edit hits an object still waiting in the wave (it is promoted) and
one hits an object the wave has already done (a new normal-priority add).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

from kubernetes import client as k8s

from keycloak_controller.runtime.controller import Controller
from keycloak_controller.runtime.informer import Informer
from keycloak_controller.runtime.kubeapi import KubeApi
from keycloak_controller.runtime.metrics import Metrics
from keycloak_controller.runtime.objects import CONFIG_MAPS
from keycloak_controller.runtime.reconcile import Request, Result
from keycloak_controller.runtime.workqueue import LOW_PRIORITY, NORMAL_PRIORITY
from tests.support.controlplane import ControlPlaneEndpoint

WAVE = 150
HELD_AT = 10  # the worker is held in the wave's 10th reconcile


def names() -> list[str]:
    return [f"cm-{i:03d}" for i in range(WAVE)]  # the list returns them in this order


class WaveReconciler:
    """Records (name, value read) per reconcile; holds the worker in reconcile `hold_at`."""

    def __init__(self, informer: Informer, hold_at: int, resync_rounds: int) -> None:
        self.informer = informer
        self.hold_at = hold_at
        self.resync_rounds = resync_rounds
        self.lock = threading.Lock()
        self.calls: list[tuple[str, str]] = []
        self.rounds: dict[str, int] = {}
        self.held = threading.Event()
        self.release = threading.Event()

    def reconcile(self, request: Request) -> Result:
        obj = self.informer.get(request.namespace, request.name)
        value = "" if obj is None else str(obj.get("data", "value"))
        with self.lock:
            self.calls.append((request.name, value))
            count = len(self.calls)
            rounds = self.rounds[request.name] = self.rounds.get(request.name, 0) + 1
        if count == self.hold_at:
            self.held.set()
            assert self.release.wait(120), "the test never released the worker"
        if rounds <= self.resync_rounds:
            # Long enough that the whole first round is done before the resync is due.
            return Result(requeue_after=3.0)
        return Result()

    def snapshot(self) -> list[tuple[str, str]]:
        with self.lock:
            return list(self.calls)


def make_wave(rt: SimpleNamespace, endpoint: ControlPlaneEndpoint, namespace: str) -> None:
    core = k8s.CoreV1Api(endpoint.api_client())
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda name: rt.create_cm(core, namespace, name, "0"), names()))


def edit_during_the_hold(
    rt: SimpleNamespace,
    endpoint: ControlPlaneEndpoint,
    namespace: str,
    controller: Controller,
    reconciler: WaveReconciler,
    *,
    waiting: str,
    done: str,
) -> None:
    """With the worker held mid-wave: edit one object the wave has yet to reach and
    one it has done; wait until the queue holds both at normal priority; release."""
    rt.wait_until(reconciler.held.is_set, 120, "the worker to reach the hold in the wave")
    core = k8s.CoreV1Api(endpoint.api_client())
    rt.update_cm(core, namespace, waiting, "edited")
    rt.update_cm(core, namespace, done, "edited")
    rt.wait_until(
        lambda: controller.queue.depth_by_priority().get(NORMAL_PRIORITY) == 2,
        60,
        "both edits to be queued at normal priority",
    )
    assert controller.queue.depth_by_priority().get(LOW_PRIORITY, 0) > 0  # the wave waits
    reconciler.release.set()


def test_an_edit_during_a_cold_start_is_reconciled_before_the_rest_of_the_initial_list(
    rt: SimpleNamespace, control_plane: ControlPlaneEndpoint, namespace: str
) -> None:
    make_wave(rt, control_plane, namespace)
    informer = Informer(KubeApi(control_plane.api_client()), CONFIG_MAPS, namespaces=[namespace])
    reconciler = WaveReconciler(informer, HELD_AT, resync_rounds=0)
    controller = Controller("priority-cold", reconciler, metrics=Metrics())
    controller.watch_for(informer)
    informer.start()
    try:
        assert informer.wait_for_sync(60)
        # The whole initial list is queued, at low priority, before any worker runs.
        assert controller.queue.depth_by_priority() == {LOW_PRIORITY: WAVE}
        controller.start()
        waiting, done = names()[-1], names()[3]
        edit_during_the_hold(
            rt, control_plane, namespace, controller, reconciler, waiting=waiting, done=done
        )
        rt.wait_until(lambda: len(reconciler.snapshot()) >= WAVE + 1, 120, "the wave to finish")
        calls = reconciler.snapshot()
        # FIFO within the wave up to the hold...
        assert [n for n, _ in calls[:HELD_AT]] == names()[:HELD_AT]
        # ...then both edits, as edited, ahead of the 139 objects the wave still had...
        assert calls[HELD_AT : HELD_AT + 2] == [(waiting, "edited"), (done, "edited")]
        rest = [n for n, _ in calls[HELD_AT + 2 :]]
        expected_rest = [n for n in names()[HELD_AT:] if n != waiting]
        assert rest == expected_rest
        # ...and the promoted one is not reconciled a second time at the end.
        assert len(calls) == WAVE + 1
    finally:
        reconciler.release.set()
        controller.stop(10)
        informer.stop()


def test_an_edit_during_a_resync_wave_is_reconciled_before_the_rest_of_the_wave(
    rt: SimpleNamespace, control_plane: ControlPlaneEndpoint, namespace: str
) -> None:
    make_wave(rt, control_plane, namespace)
    informer = Informer(KubeApi(control_plane.api_client()), CONFIG_MAPS, namespaces=[namespace])
    # Round 1 (the cold start) requeues every object after 3 s: round 2 is the resync
    # wave, and the worker is held at its 10th reconcile.
    reconciler = WaveReconciler(informer, WAVE + HELD_AT, resync_rounds=1)
    controller = Controller("priority-resync", reconciler, metrics=Metrics())
    controller.watch_for(informer)
    informer.start()
    try:
        assert informer.wait_for_sync(60)
        controller.start()
        waiting, done = names()[-1], names()[3]
        edit_during_the_hold(
            rt, control_plane, namespace, controller, reconciler, waiting=waiting, done=done
        )
        rt.wait_until(
            lambda: len(reconciler.snapshot()) >= 2 * WAVE + 1, 120, "the resync wave to finish"
        )
        calls = reconciler.snapshot()
        assert sorted(n for n, _ in calls[:WAVE]) == names()  # round 1: each object once
        in_wave = calls[WAVE:]
        done_before = {n for n, _ in in_wave[:HELD_AT]}
        assert done in done_before and waiting not in done_before
        # The edits come right after the hold, ahead of everything the wave had left...
        assert in_wave[HELD_AT : HELD_AT + 2] == [(waiting, "edited"), (done, "edited")]
        left = {n for n in names() if n not in done_before and n != waiting}
        assert len(left) == WAVE - HELD_AT - 1
        # ...which is all reconciled after them, each once, from the resync (not edited).
        after = in_wave[HELD_AT + 2 :]
        assert sorted(n for n, _ in after) == sorted(left)
        assert {v for _, v in after} == {"0"}
        assert len(calls) == 2 * WAVE + 1
    finally:
        reconciler.release.set()
        controller.stop(10)
        informer.stop()
