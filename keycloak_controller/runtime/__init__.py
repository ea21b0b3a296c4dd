"""Generic controller machinery on raw watch streams, modelled on controller-runtime.

Nothing in this package knows about Keycloak. Semantics follow client-go and
controller-runtime; each module documents its part:

- `kubeapi`: JSON over the official client's ApiClient; the thread-safety choice.
- `objects`: `KubeObject`, a typed read-only view over object JSON; `ResourceKind`.
- `workqueue`, `ratelimit`, `backoff`, `clock`: client-go's queue, limiters, backoff.
- `store`, `informer`: the indexed cache and the list/watch reflector feeding it.
- `handler`, `reconcile`, `controller`: events to Requests, Results, workers.
- `leaderelection`: Lease election with release and exit-on-loss.
- `manager`, `server`: wiring, start/stop order, /metrics /healthz /readyz.
- `metrics`, `status`, `events`, `logging`: observability and status writes.
"""
