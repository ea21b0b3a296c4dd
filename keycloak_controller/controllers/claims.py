"""The Kubernetes side of ownership: two resources of one kind must not both manage
one Keycloak object.

Keycloak's own ownership stamp (ownership.py) settles this once an object has been
written. An object adopted by opt-in carries no stamp until its first write
(adoption writes nothing), so until then the claim is guarded here, from the
informer cache: of the resources of the same kind under the same parent that name
the same object (realm name, clientId, username), the one created first keeps it;
the others get OwnershipConflict naming it. Resources in Observe mode write
nothing and claim nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from keycloak_controller.api.common import ManagementPolicy
from keycloak_controller.runtime.objects import KubeObject, ResourceKind

from .context import Context
from .ownership import Claimant, first_claimant, rival_message
from .reasons import OWNERSHIP_CONFLICT, Problem

# What a resource names in Keycloak, read from its raw spec (None: nothing to compare).
Identity = Callable[[Mapping[str, Any]], object]


def _spec(obj: KubeObject) -> Mapping[str, Any]:
    spec = obj.raw.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _claimant(obj: KubeObject) -> Claimant:
    meta = obj.raw.get("metadata") or {}
    return Claimant(str(meta.get("creationTimestamp") or ""), obj.namespace, obj.name)


def _claims(obj: KubeObject) -> bool:
    return not obj.deletion_timestamp and (
        _spec(obj).get("managementPolicy") != ManagementPolicy.OBSERVE.value
    )


def earlier_claimant(
    ctx: Context,
    kind: ResourceKind,
    namespace: str,
    name: str,
    siblings: tuple[str, str],
    identity: Identity,
) -> Claimant | None:
    """Another resource of `kind` that claimed the same object first, if any.

    `siblings`: the informer index and key that list the resources under the same
    parent (the "keycloak" index for realms, "realm" for clients and users)."""
    informer = ctx.informer(kind)
    me = informer.get(namespace, name)
    if me is None:
        return None
    mine = identity(_spec(me))
    if mine is None:
        return None
    rivals = [
        _claimant(other)
        for other in informer.by_index(*siblings)
        if other.key != me.key and _claims(other) and identity(_spec(other)) == mine
    ]
    return first_claimant(_claimant(me), rivals)


def refuse(kind: ResourceKind, what: str, rival: Claimant | None) -> None:
    """OwnershipConflict naming the resource that claimed the object first."""
    if rival is not None:
        raise Problem(OWNERSHIP_CONFLICT, rival_message(kind.kind, what, rival))
