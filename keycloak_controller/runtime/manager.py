"""The manager: wires informers, controllers and leader election, and serves probes.

Thread-safety choices:
- One `ApiClient` (inside one `KubeApi`) is shared by every informer and worker.
  KubeApi only uses the client's stateless request path, and urllib3's pool is
  thread-safe; the pool is sized to watches + workers + slack at start, because
  each open watch pins one HTTP/1.1 connection for minutes and a worker must never
  wait for a connection.
- Leader election gets its own ApiClient (small pool), so renewals never queue
  behind reconciles.
- The Configuration is copied, never the global default: `load_kube_config`
  mutates a global, which races across threads.

Order of start, as controller-runtime: informers start and their caches warm
before the election; workers start only once this process leads. `/readyz`
reports synced caches, so a warm standby is ready too.
Order of stop: controllers drain (bounded), then the Lease is released, then
watches close, then the probe server stops.

Every reconcile runs as this process's audit *writer* (runtime/audit.py): its
Lease identity, and the elector's write fence, which the Keycloak transport
checks right before each write. So a leader that cannot renew stops writing at
its renew deadline, before its lease can expire, even while a reconcile is
still running; losing the lease then also stops the controllers.
"""

from __future__ import annotations

import copy
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType

from kubernetes import client as k8s
from prometheus_client import REGISTRY, CollectorRegistry

from . import audit
from .controller import Controller
from .informer import Informer
from .kubeapi import KubeApi
from .leaderelection import LeaderElectionConfig, LeaderElector, _exit_process
from .logging import get_logger
from .metrics import Metrics, merged_registry
from .objects import ResourceKind
from .ratelimit import RateLimiter
from .reconcile import Reconciler, Request, Result
from .server import ProbeServer
from .transform import Transform, compact_for_cache

log = get_logger(__name__)

POOL_SLACK = 4  # status writes and events from non-worker threads, one probe


@dataclass(frozen=True)
class ManagerOptions:
    leader_election: LeaderElectionConfig | None = None
    probe_host: str = "127.0.0.1"
    probe_port: int = 8080  # 0 picks a free port (tests)
    cache_sync_timeout: float = 120.0
    graceful_shutdown_timeout: float = 30.0
    # Served on /metrics after the manager's own registry. The default is the
    # process-wide registry, where libraries (the Keycloak client) register.
    extra_metrics_registries: tuple[CollectorRegistry, ...] = (REGISTRY,)
    # Applied to every object before an informer caches it (None keeps objects whole).
    cache_transform: Transform | None = compact_for_cache
    # Sent on every API request; the apiserver also names this writer's
    # managedFields entries after it (the client's default is "OpenAPI-Generator").
    user_agent: str | None = None


class CacheSyncTimeoutError(RuntimeError):
    pass


class AuditedReconciler:
    """Runs a reconciler as the manager's audit writer, so its Keycloak writes are
    recorded with the leader identity and fenced by the lease."""

    def __init__(self, inner: Reconciler, writer: audit.Writer) -> None:
        self.inner = inner
        self.writer = writer

    def reconcile(self, request: Request) -> Result:
        with audit.as_writer(self.writer):
            return self.inner.reconcile(request)


class Manager:
    def __init__(
        self,
        configuration: k8s.Configuration,
        options: ManagerOptions | None = None,
        *,
        on_lost_leadership: Callable[[], None] = _exit_process,
    ) -> None:
        self.options = options or ManagerOptions()
        self.metrics = Metrics()
        # What /metrics shows: this manager's series, then the extra registries'.
        self.served_registry = merged_registry(
            self.metrics.registry, *self.options.extra_metrics_registries
        )
        self._configuration = copy.copy(configuration)
        # Informers and reconcilers get this handle now; its pool is sized in start().
        self.api = KubeApi(self._api_client(copy.copy(configuration)))
        self.informers: list[Informer] = []
        self.controllers: list[Controller] = []
        self.elector: LeaderElector | None = None
        self._on_lost = on_lost_leadership
        self._lock = threading.Lock()
        self._stopping = False
        self._started_controllers = False
        self.server: ProbeServer | None = None
        self._stop_requested = threading.Event()

    def _api_client(self, configuration: k8s.Configuration) -> k8s.ApiClient:
        api_client = k8s.ApiClient(configuration)
        if self.options.user_agent:
            api_client.user_agent = self.options.user_agent
        return api_client

    # --- wiring ------------------------------------------------------------------

    def informer(
        self,
        kind: ResourceKind,
        *,
        namespaces: Sequence[str] | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resync_period: float | None = None,
    ) -> Informer:
        """One informer per (kind, scope, selectors); asking twice returns the same one."""
        scope = tuple(namespaces) if namespaces is not None else None
        for existing in self.informers:
            if (
                existing.kind == kind
                and existing.scope == scope
                and existing.label_selector == label_selector
                and existing.field_selector == field_selector
            ):
                return existing
        informer = Informer(
            self.api,
            kind,
            namespaces=namespaces,
            label_selector=label_selector,
            field_selector=field_selector,
            resync_period=resync_period,
            transform=self.options.cache_transform,
        )
        self.informers.append(informer)
        return informer

    def controller(
        self,
        name: str,
        reconciler: Reconciler,
        *,
        workers: int = 1,
        rate_limiter: RateLimiter | None = None,
    ) -> Controller:
        """A controller on this manager; `rate_limiter` replaces the default limiter of
        its queue (client-go's per-item exponential plus the overall token bucket)."""
        if any(c.name == name for c in self.controllers):
            raise ValueError(f"controller {name!r} already exists")
        controller = Controller(
            name,
            AuditedReconciler(reconciler, self.writer),
            workers=workers,
            rate_limiter=rate_limiter,
            metrics=self.metrics,
        )
        self.controllers.append(controller)
        return controller

    # --- lifecycle ---------------------------------------------------------------

    def ready(self) -> bool:
        return all(i.has_synced() for i in self.informers)

    @property
    def writer(self) -> audit.Writer:
        election = self.options.leader_election
        return audit.Writer(election.identity if election else None, self.may_write)

    def may_write(self) -> bool:
        """Writes may start: no election, or leading with a recently renewed lease."""
        if self.options.leader_election is None:
            return True
        return self.elector is not None and self.elector.may_write()

    @property
    def is_leader(self) -> bool:
        return self.elector.is_leader if self.elector is not None else self._started_controllers

    def start(self) -> None:
        watches = sum(i.watch_count for i in self.informers)
        workers = sum(c.workers for c in self.controllers)
        configuration = copy.copy(self._configuration)
        configuration.connection_pool_maxsize = watches + workers + POOL_SLACK
        # No thread uses the API yet, so swapping the client in is safe.
        self.api.api_client = self._api_client(configuration)

        self.server = ProbeServer(
            self.served_registry,
            self.ready,
            host=self.options.probe_host,
            port=self.options.probe_port,
        )
        self.server.start()
        for informer in self.informers:
            informer.start()
        deadline = time.monotonic() + self.options.cache_sync_timeout
        for informer in self.informers:
            if not informer.wait_for_sync(max(0.0, deadline - time.monotonic())):
                self.stop()
                raise CacheSyncTimeoutError(f"cache for {informer.name} did not sync")
        log.info("caches synced", informers=[i.name for i in self.informers])

        election = self.options.leader_election
        if election is None:
            self._start_controllers()
            return
        election_config = copy.copy(self._configuration)
        election_config.connection_pool_maxsize = 2
        self.elector = LeaderElector(
            KubeApi(self._api_client(election_config)),
            election,
            on_started_leading=self._start_controllers,
            on_stopped_leading=self._abandon_work,
            on_lost=self._on_lost,
            metrics=self.metrics,
        )
        self.elector.start()

    def _start_controllers(self) -> None:
        with self._lock:
            if self._stopping or self._started_controllers:
                return
            self._started_controllers = True
            for controller in self.controllers:
                controller.start()
        log.info("controllers started", controllers=[c.name for c in self.controllers])

    def _abandon_work(self) -> None:
        """Lost the lease: take no new keys at all (the process is about to exit)."""
        for controller in self.controllers:
            controller.queue.shutdown()

    def stop(self) -> bool:
        """Graceful stop, bounded by graceful_shutdown_timeout; True if everything drained."""
        with self._lock:
            if self._stopping:
                return True
            self._stopping = True
        deadline = time.monotonic() + self.options.graceful_shutdown_timeout
        drained = True
        for controller in self.controllers:
            # Controllers that never started still need their queue shut down.
            remaining = max(0.0, deadline - time.monotonic())
            drained = controller.stop(remaining) and drained
        if self.elector is not None:
            self.elector.stop(max(1.0, deadline - time.monotonic()))
        for informer in self.informers:
            informer.stop(max(1.0, deadline - time.monotonic()))
        if self.server is not None:
            self.server.stop()
        self.api.api_client.close()  # type: ignore[no-untyped-call]
        log.info("manager stopped", drained=drained)
        return drained

    def request_stop(self) -> None:
        self._stop_requested.set()

    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT request a graceful stop (call from the main thread)."""

        def handle(_signum: int, _frame: FrameType | None) -> None:
            self._stop_requested.set()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)

    def wait_for_stop_request(self, timeout: float | None = None) -> bool:
        return self._stop_requested.wait(timeout)

    def run(self) -> bool:
        """Start, block until SIGTERM/SIGINT (or `request_stop`), then stop gracefully."""
        self.install_signal_handlers()
        self.start()
        self._stop_requested.wait()
        return self.stop()
