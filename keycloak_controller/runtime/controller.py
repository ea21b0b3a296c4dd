"""A controller: a rate-limited queue of Requests drained by N worker threads.

Result handling, exactly controller-runtime's `reconcileHandler` (`done` always follows):

| outcome                 | queue action                           | result label  |
|-------------------------|----------------------------------------|---------------|
| raised TerminalError    | forget, no requeue                     | error         |
| raised anything else    | add_rate_limited, same priority        | error         |
|                         | (Result ignored)                       |               |
| requeue_after > 0       | forget, then add_after at low priority | requeue_after |
| requeue                 | add_rate_limited, same priority        | requeue       |
|                         | (delay capped at max_delay when > 0)   |               |
| otherwise               | forget                                 | success       |

Priorities (see `workqueue`): a retry keeps the priority its key was handed out
at, as controller-runtime's `reconcileHandler` does. `requeue_after` differs
from controller-runtime on purpose: here it is the periodic resync (the
skeleton's only use of it), and a resync is low priority, as controller-runtime
gives its informer resyncs; an edit that arrives meanwhile is added at normal
priority and promotes the key.

A reconcile that raises never kills its worker (controller-runtime's RecoverPanic).
A 409 Conflict from the apiserver is the expected loss of an optimistic-lock
race (the object changed since the cache saw it): it is requeued like any error
but logged at info without a traceback, since nothing is wrong.
"""

from __future__ import annotations

import threading
import time
import uuid

from .handler import EnqueueRequestForObject, EnqueueRequestForOwner, EnqueueRequestsFromMapFunc
from .handler import MapFunc as MapFunc
from .informer import EventHandler, Informer
from .kubeapi import ApiException, status_reason
from .logging import get_logger, reconcile_context
from .metrics import Metrics
from .ratelimit import RateLimiter
from .reconcile import Reconciler, Request, Result, TerminalError
from .workqueue import LOW_PRIORITY, NORMAL_PRIORITY, RateLimitingQueue

log = get_logger(__name__)


class Controller:
    def __init__(
        self,
        name: str,
        reconciler: Reconciler,
        *,
        workers: int = 1,
        rate_limiter: RateLimiter | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("a controller needs at least one worker")
        self.name = name
        self.reconciler = reconciler
        self.workers = workers
        self.metrics = metrics if metrics is not None else Metrics()
        queue_metrics = self.metrics.queue(name)
        self.queue: RateLimitingQueue[Request] = RateLimitingQueue(
            rate_limiter, metrics=queue_metrics
        )
        queue_metrics.bind_in_flight(
            self.queue.unfinished_work_seconds, self.queue.longest_running_processor_seconds
        )
        self.informers: list[Informer] = []
        self._threads: list[threading.Thread] = []
        self._active = 0
        self._active_lock = threading.Lock()
        self._stopping = threading.Event()
        self.metrics.max_concurrent_reconciles.labels(controller=name).set(workers)
        self.metrics.active_workers.labels(controller=name).set(0)
        # Touch every result label so /metrics shows the series from the start.
        for result in ("success", "error", "requeue", "requeue_after"):
            self.metrics.reconcile_total.labels(controller=name, result=result)
        self.metrics.reconcile_errors_total.labels(controller=name)
        self.metrics.terminal_reconcile_errors_total.labels(controller=name)

    # --- watches -----------------------------------------------------------------

    def watch(self, informer: Informer, handler: EventHandler) -> None:
        if informer not in self.informers:
            self.informers.append(informer)
        informer.add_event_handler(handler)

    def watch_for(self, informer: Informer) -> None:
        """Reconcile the watched kind itself (controller-runtime's `For`)."""
        self.watch(informer, EnqueueRequestForObject(self.queue))

    def owns(
        self, informer: Informer, *, owner_group: str, owner_kind: str, on_create: bool = True
    ) -> None:
        """Map owned children to their controlling owner (`Owns`); `on_create=False`
        when only the owner creates them, so its own creates do not requeue it."""
        self.watch(
            informer,
            EnqueueRequestForOwner(
                self.queue, owner_group=owner_group, owner_kind=owner_kind, on_create=on_create
            ),
        )

    def watches(self, informer: Informer, map_func: MapFunc) -> None:
        """Map related objects to requests, e.g. through an index lookup."""
        self.watch(informer, EnqueueRequestsFromMapFunc(self.queue, map_func))

    # --- running -----------------------------------------------------------------

    def start(self) -> None:
        for i in range(self.workers):
            thread = threading.Thread(target=self._worker, name=f"{self.name}-worker-{i}")
            thread.daemon = True
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop taking new work and wait (bounded) for in-flight reconciles to finish.

        Unlike a plain client-go drain, keys still queued are dropped rather than
        worked off: reconciles are level-based, so whoever runs next redoes them, and
        the shutdown bound (and the Lease release after it) cannot be held hostage
        by a backlog.
        """
        deadline = time.monotonic() + timeout
        self._stopping.set()
        drained = self.queue.shutdown_with_drain(timeout)
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return drained and not any(t.is_alive() for t in self._threads)

    def _worker(self) -> None:
        while not self._stopping.is_set():
            got = self.queue.get_with_priority()
            if got is None:
                return
            request, priority = got
            try:
                self.process(request, priority)
            finally:
                self.queue.done(request)

    def process(self, request: Request, priority: int = NORMAL_PRIORITY) -> None:
        """Run one reconcile and apply the result table; never raises.

        `priority` is the one `request` was queued at; retries keep it."""
        name = self.name
        with self._active_lock:
            self._active += 1
            self.metrics.active_workers.labels(controller=name).set(self._active)
        started = time.monotonic()
        reconcile_id = str(uuid.uuid4())
        try:
            with reconcile_context(name, request.key, reconcile_id):
                self._reconcile_and_requeue(request, priority)
        finally:
            self.metrics.reconcile_time_seconds.labels(controller=name).observe(
                time.monotonic() - started
            )
            with self._active_lock:
                self._active -= 1
                self.metrics.active_workers.labels(controller=name).set(self._active)

    def _reconcile_and_requeue(self, request: Request, priority: int) -> None:
        name = self.name
        try:
            result = self.reconciler.reconcile(request)
        except TerminalError as error:
            self.queue.forget(request)
            self.metrics.reconcile_errors_total.labels(controller=name).inc()
            self.metrics.terminal_reconcile_errors_total.labels(controller=name).inc()
            self.metrics.reconcile_total.labels(controller=name, result="error").inc()
            log.error("reconcile failed terminally; not requeued", error=str(error))
            return
        except Exception as error:
            self.queue.add_rate_limited(request, priority)
            self.metrics.reconcile_errors_total.labels(controller=name).inc()
            self.metrics.reconcile_total.labels(controller=name, result="error").inc()
            if is_conflict(error):
                log.info(
                    "reconcile lost an update race (409 Conflict); requeued with backoff",
                    reason=status_reason(error) if isinstance(error, ApiException) else "",
                    requeues=self.queue.num_requeues(request),
                )
                return
            log.error(
                "reconcile failed; requeued with backoff",
                error=f"{type(error).__name__}: {error}",
                requeues=self.queue.num_requeues(request),
                exc_info=True,
            )
            return
        if not isinstance(result, Result):
            # A reconciler bug, not a transient failure: report it and back off.
            self.queue.add_rate_limited(request, priority)
            self.metrics.reconcile_errors_total.labels(controller=name).inc()
            self.metrics.reconcile_total.labels(controller=name, result="error").inc()
            log.error("reconcile returned a non-Result", returned=repr(result))
            return
        if result.requeue_after > 0:
            self.queue.forget(request)
            self.queue.add_after(request, result.requeue_after, LOW_PRIORITY)
            self.metrics.reconcile_total.labels(controller=name, result="requeue_after").inc()
        elif result.requeue:
            self.queue.add_rate_limited(request, priority, result.max_delay)
            self.metrics.reconcile_total.labels(controller=name, result="requeue").inc()
        else:
            self.queue.forget(request)
            self.metrics.reconcile_total.labels(controller=name, result="success").inc()
            log.debug("reconciled")


def is_conflict(error: BaseException) -> bool:
    """A 409 from the apiserver: someone else wrote the object since we read it."""
    return isinstance(error, ApiException) and error.status == 409
