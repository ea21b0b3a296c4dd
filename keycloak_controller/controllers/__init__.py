"""The reconcilers of every kind, on one small framework.

The framework:
- `skeleton`: `KindReconciler`, the one reconcile every kind runs (cache get,
  finalizer, parse, parents, observe -> plan -> apply -> report);
- `plan`: a plan is a list of changes named by the field paths they fix;
- `childset`: sub-objects planned by key under an explicit removal policy;
- `registry`: each kind's wiring (parent, Secrets, children) in one table;
- `setup`: informers, indexes, watches and controllers built from that table.

The kinds, one reconciler module each, with their pure planners:
- `keycloak_reconciler`; `realm_reconciler` (`realm_plan`, `roles`);
  `client_reconciler` (`client_plan`, `roles`, `role_mappings`);
  `user_reconciler` (`role_mappings`).

Shared helpers, one job each:
- `parents`: parent resolution (existence, reachability, grants);
- `reasons`: the CamelCase condition reasons and the `Problem` exception;
- `reporting`: Ready/Reconciling/Stalled conditions, Events, resync timing;
- `connections`: one KeycloakAdmin per Keycloak CR, rebuilt when it changes;
- `ownership`: attributes stamped on Keycloak objects; owned/unowned/foreign;
- `finalizer`, `secrets`, `kube`: small Kubernetes-side helpers.
"""
