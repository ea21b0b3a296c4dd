"""Prometheus series with controller-runtime's names and labels.

Each Manager owns one `Metrics` with its own CollectorRegistry, so two managers
in one process (tests, benchmarks) never collide on registration. Libraries
register into prometheus_client's process-wide default registry instead (the
Keycloak client's metrics, the process and GC collectors); /metrics serves
`merged_registry(own, default)`, a registry that reads both at scrape time
without registering anything into either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import Metric

# controller-runtime pkg/internal/controller/metrics/metrics.go
RECONCILE_TIME_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7,
    0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15,
    20, 25, 30, 40, 50, 60,
)  # fmt: skip
# Exponential from 1e-8, factor 10, 12 buckets (pkg/internal/metrics/workqueue.go).
WORKQUEUE_BUCKETS = tuple(10.0**e for e in range(-8, 4))


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.reconcile_total = Counter(
            "controller_runtime_reconcile_total",
            "Total number of reconciliations per controller",
            ["controller", "result"],
            registry=r,
        )
        self.reconcile_errors_total = Counter(
            "controller_runtime_reconcile_errors_total",
            "Total number of reconciliation errors per controller",
            ["controller"],
            registry=r,
        )
        self.terminal_reconcile_errors_total = Counter(
            "controller_runtime_terminal_reconcile_errors_total",
            "Total number of terminal reconciliation errors per controller",
            ["controller"],
            registry=r,
        )
        self.reconcile_panics_total = Counter(
            "controller_runtime_reconcile_panics_total",
            "Total number of reconciliation panics per controller",
            ["controller"],
            registry=r,
        )
        self.reconcile_time_seconds = Histogram(
            "controller_runtime_reconcile_time_seconds",
            "Length of time per reconciliation per controller",
            ["controller"],
            buckets=RECONCILE_TIME_BUCKETS,
            registry=r,
        )
        self.max_concurrent_reconciles = Gauge(
            "controller_runtime_max_concurrent_reconciles",
            "Maximum number of concurrent reconciles per controller",
            ["controller"],
            registry=r,
        )
        self.active_workers = Gauge(
            "controller_runtime_active_workers",
            "Number of currently used workers per controller",
            ["controller"],
            registry=r,
        )
        self.workqueue_depth = Gauge(
            "workqueue_depth",
            "Current depth of workqueue",
            ["name", "controller", "priority"],
            registry=r,
        )
        self.workqueue_adds_total = Counter(
            "workqueue_adds_total",
            "Total number of adds handled by workqueue",
            ["name", "controller"],
            registry=r,
        )
        self.workqueue_retries_total = Counter(
            "workqueue_retries_total",
            "Total number of retries handled by workqueue",
            ["name", "controller"],
            registry=r,
        )
        self.workqueue_queue_duration_seconds = Histogram(
            "workqueue_queue_duration_seconds",
            "How long in seconds an item stays in workqueue before being requested",
            ["name", "controller"],
            buckets=WORKQUEUE_BUCKETS,
            registry=r,
        )
        self.workqueue_work_duration_seconds = Histogram(
            "workqueue_work_duration_seconds",
            "How long in seconds processing an item from workqueue takes",
            ["name", "controller"],
            buckets=WORKQUEUE_BUCKETS,
            registry=r,
        )
        self.workqueue_unfinished_work_seconds = Gauge(
            "workqueue_unfinished_work_seconds",
            "How many seconds of work has been done that is in progress and hasn't been "
            "observed by work_duration",
            ["name", "controller"],
            registry=r,
        )
        self.workqueue_longest_running_processor_seconds = Gauge(
            "workqueue_longest_running_processor_seconds",
            "How many seconds has the longest running processor for workqueue been running",
            ["name", "controller"],
            registry=r,
        )
        self.leader_election_master_status = Gauge(
            "leader_election_master_status",
            "Gauge of if the reporting system is master of the relevant lease, 0 indicates "
            "backup, 1 indicates master. 'name' is the string used to identify the lease.",
            ["name"],
            registry=r,
        )

    def queue(self, name: str) -> PrometheusQueueMetrics:
        return PrometheusQueueMetrics(self, name)


class PrometheusQueueMetrics:
    """The workqueue's metric sink; in controller-runtime `name` and `controller` are equal."""

    def __init__(self, metrics: Metrics, name: str) -> None:
        labels = {"name": name, "controller": name}
        self._depth = metrics.workqueue_depth.labels(priority="", **labels)
        self._adds = metrics.workqueue_adds_total.labels(**labels)
        self._retries = metrics.workqueue_retries_total.labels(**labels)
        self._queue_duration = metrics.workqueue_queue_duration_seconds.labels(**labels)
        self._work_duration = metrics.workqueue_work_duration_seconds.labels(**labels)
        self._unfinished = metrics.workqueue_unfinished_work_seconds.labels(**labels)
        self._longest = metrics.workqueue_longest_running_processor_seconds.labels(**labels)

    def added(self, depth: int) -> None:
        self._adds.inc()
        self._depth.set(depth)

    def got(self, depth: int, queued_seconds: float) -> None:
        self._depth.set(depth)
        self._queue_duration.observe(queued_seconds)

    def done(self, work_seconds: float) -> None:
        self._work_duration.observe(work_seconds)

    def retried(self) -> None:
        self._retries.inc()

    def bind_in_flight(self, unfinished: Callable[[], float], longest: Callable[[], float]) -> None:
        # Computed at scrape time instead of client-go's 500 ms ticker: no extra thread.
        self._unfinished.set_function(unfinished)
        self._longest.set_function(longest)


class _Merged:
    """A collector that yields the families of several registries; the first one wins
    a name that appears in more than one (a family must appear once per scrape)."""

    def __init__(self, registries: tuple[CollectorRegistry, ...]) -> None:
        self.registries = registries

    def collect(self) -> Iterator[Metric]:
        seen: set[str] = set()
        for registry in self.registries:
            for family in registry.collect():
                if family.name in seen:
                    continue
                seen.add(family.name)
                yield family


def merged_registry(*registries: CollectorRegistry) -> CollectorRegistry:
    """A registry to serve that shows every family of `registries`, read at scrape time.

    It owns no metrics, and the merging collector has no `describe`, so nothing is
    checked or registered in the source registries: any number of managers may
    serve the same default registry next to their own.
    """
    served = CollectorRegistry(auto_describe=False)
    served.register(_Merged(registries))
    return served
