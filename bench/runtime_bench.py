"""Runtime benchmark: work-queue throughput and informer-event -> reconcile latency.

Run: .venv/bin/python bench/runtime_bench.py [--objects 5000] [--workers 8]

1. Queue throughput: add/get/done cycles through RateLimitingQueue, single-threaded
   and with 8 workers on 1,000 distinct keys.
2. Latency: starts a private etcd + kube-apiserver (tests/support),
   runs a Manager with one controller over ConfigMaps in a fresh namespace, creates
   N objects while it runs, and reports, per object, the time from the informer
   delivering its ADDED event to the start of its first reconcile (p50/p99), and
   from the create call returning to that reconcile.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kubernetes import client as k8s

# tests.support (the real components) is not installed; it lives in the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from keycloak_controller.runtime.logging import configure as configure_logging
from keycloak_controller.runtime.manager import Manager, ManagerOptions
from keycloak_controller.runtime.objects import CONFIG_MAPS, KubeObject
from keycloak_controller.runtime.reconcile import Request, Result
from keycloak_controller.runtime.workqueue import RateLimitingQueue
from tests.support.controlplane import ControlPlane, wait_for_default_namespace


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_queue_single(n: int) -> float:
    queue: RateLimitingQueue[int] = RateLimitingQueue()
    start = time.perf_counter()
    for i in range(n):
        queue.add(i % 1000)
        key = queue.get()
        assert key is not None
        queue.done(key)
    return n / (time.perf_counter() - start)


def bench_queue_workers(n: int, workers: int) -> tuple[float, float, int]:
    queue: RateLimitingQueue[int] = RateLimitingQueue()
    processed = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal processed
        while (key := queue.get()) is not None:
            with lock:
                processed += 1
            queue.done(key)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for i in range(n):
        queue.add(i % 1000)
    queue.shutdown_with_drain()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return n / elapsed, processed / elapsed, processed


class Timings:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.created: dict[str, float] = {}
        self.event: dict[str, float] = {}
        self.reconciled: dict[str, float] = {}
        self.done = threading.Event()
        self.expected = 0

    # Registered before the controller's handler, so it sees the event first.
    def on_add(self, obj: KubeObject) -> None:
        with self.lock:
            self.event.setdefault(obj.name, time.perf_counter())

    def on_update(self, old: KubeObject, new: KubeObject) -> None:
        return None

    def on_delete(self, obj: KubeObject) -> None:
        return None

    def reconcile(self, request: Request) -> Result:
        now = time.perf_counter()
        with self.lock:
            self.reconciled.setdefault(request.name, now)
            if len(self.reconciled) >= self.expected:
                self.done.set()
        return Result()


def bench_latency(objects: int, workers: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="runtime-bench-"))
    plane = ControlPlane(workdir)
    endpoint = plane.start()
    try:
        wait_for_default_namespace(endpoint)
        core = k8s.CoreV1Api(endpoint.api_client(qps_pool=16))
        namespace = "bench"
        core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=namespace)))
        cfg = k8s.Configuration()
        cfg.host = endpoint.host
        cfg.ssl_ca_cert = endpoint.ca_cert
        cfg.cert_file = endpoint.admin_cert
        cfg.key_file = endpoint.admin_key
        manager = Manager(cfg, ManagerOptions(probe_port=0))
        timings = Timings()
        timings.expected = objects
        informer = manager.informer(CONFIG_MAPS, namespaces=[namespace])
        informer.add_event_handler(timings)
        manager.controller("bench", timings, workers=workers).watch_for(informer)
        manager.start()

        def create(i: int) -> None:
            name = f"cm-{i:05d}"
            core.create_namespaced_config_map(
                namespace, k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name=name), data={"i": "1"})
            )
            with timings.lock:
                timings.created[name] = time.perf_counter()

        start = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(create, range(objects)))
        create_seconds = time.perf_counter() - start
        if not timings.done.wait(300):
            raise SystemExit(f"only {len(timings.reconciled)} of {objects} reconciled")
        manager.stop()
    finally:
        plane.stop()

    event_to_reconcile = [
        (timings.reconciled[n] - timings.event[n]) * 1000 for n in timings.reconciled
    ]
    create_to_reconcile = [
        (timings.reconciled[n] - timings.created[n]) * 1000
        for n in timings.reconciled
        if n in timings.created
    ]
    print(
        f"\ncreated {objects} ConfigMaps in {create_seconds:.1f}s "
        f"({objects / create_seconds:.0f}/s, 8 client threads), {workers} workers"
    )
    print(
        f"informer event -> reconcile start: p50 {percentile(event_to_reconcile, 0.5):.2f} ms, "
        f"p99 {percentile(event_to_reconcile, 0.99):.2f} ms, "
        f"mean {statistics.fmean(event_to_reconcile):.2f} ms"
    )
    print(
        f"create call returned -> reconcile start: "
        f"p50 {percentile(create_to_reconcile, 0.5):.2f} ms, "
        f"p99 {percentile(create_to_reconcile, 0.99):.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--queue-ops", type=int, default=200_000)
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    configure_logging(logging.WARNING)
    single = bench_queue_single(args.queue_ops)
    print(f"queue add/get/done, 1 thread: {single:,.0f} items/s")
    adds, gets, processed = bench_queue_workers(args.queue_ops, 8)
    print(
        f"queue, 1 producer + 8 workers on 1,000 keys: {adds:,.0f} adds/s, {gets:,.0f} "
        f"get+done/s ({processed:,} of {args.queue_ops:,} adds reached a worker; "
        "the rest were de-duplicated)"
    )
    if not args.skip_latency:
        bench_latency(args.objects, args.workers)


if __name__ == "__main__":
    main()
