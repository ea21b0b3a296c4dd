"""The reconcilers of Keycloak, KeycloakRealm and KeycloakClient, and their shared parts.

Every reconciler reads top-down: observe (the CR from the cache, the Secrets
and parent CRs it references, Keycloak's actual object) -> diff (a pure
function from `*_model` modules) -> act (write only the differences) ->
report (`reporting`: status conditions and Events on transitions).

Shared modules, one job each:
- `reasons`: the CamelCase condition reasons and the `Problem` exception.
- `reporting`: Ready/Reconciling/Stalled conditions, Events, result timing.
- `connections`: one KeycloakAdmin per Keycloak CR, rebuilt when it changes.
- `ownership`: attributes stamped on Keycloak objects; owned/unowned/foreign.
- `finalizer`, `secrets`, `kube`: small Kubernetes-side helpers.
- `setup`: informers, indexes and watches on a Manager.
"""
