"""Parent resolution: a child needs its parents to exist, be reachable and let it in.

Existence, not perfection: a realm whose own settings Keycloak rejected still
serves its clients and users. What a child needs is
- the parent resources exist (the realm, its Keycloak);
- the Keycloak resource is connected (Ready), so the admin client works;
- the parent's grants admit the child's namespace (tenancy).
Whether the realm exists *in Keycloak* is found out by the child's own reads
(a 404 on the realm becomes DependencyNotReady, see `realm_missing`).
"""

from __future__ import annotations

from dataclasses import dataclass

from keycloak_controller.api import Keycloak, KeycloakRealm
from keycloak_controller.api.common import NamespacedReference
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.runtime.objects import object_key

from . import reasons
from .context import Context
from .kinds import KEYCLOAKS, REALMS
from .kube import parse
from .reasons import Problem


@dataclass(frozen=True)
class KeycloakParent:
    keycloak: Keycloak
    admin: KeycloakAdmin

    @property
    def base_url(self) -> str:
        external = self.keycloak.spec.external
        return external.url if external is not None else ""


@dataclass(frozen=True)
class RealmParent(KeycloakParent):
    realm: KeycloakRealm

    @property
    def name(self) -> str:
        return self.realm.spec.realm_name


def keycloak_parent(
    ctx: Context, namespace: str, ref: NamespacedReference, *, cleanup: bool = False
) -> tuple[Keycloak, KeycloakAdmin | None]:
    """The Keycloak resource `ref` names (from a realm in `namespace`) and its client.

    For cleanup the Keycloak need not be Ready and the client may be the last one
    built (None when there never was one)."""
    where = ref.namespace_or(namespace)
    obj = ctx.informer(KEYCLOAKS).get(where, ref.name)
    if obj is None:
        raise Problem(
            reasons.DEPENDENCY_NOT_READY,
            f"Keycloak {where}/{ref.name} not found; create it or fix spec.keycloakRef",
        )
    keycloak = parse(Keycloak, obj)
    if where != namespace:
        selection = keycloak.spec.realm_namespaces
        labels = ctx.labels_if(selection is not None and selection.needs_labels, namespace)
        if selection is None or not selection.matches(namespace, labels):
            raise Problem(
                reasons.NOT_GRANTED,
                f"Keycloak {where}/{ref.name} does not allow realms from namespace "
                f"{namespace}; add it to that Keycloak's spec.realmNamespaces",
            )
    if cleanup:
        return keycloak, ctx.admin_for_cleanup(keycloak)
    if not keycloak.status.is_ready():
        raise Problem(
            reasons.DEPENDENCY_NOT_READY,
            f"Keycloak {where}/{ref.name} is not connected; waiting for it",
        )
    return keycloak, ctx.admin(keycloak)


def realm_parent(
    ctx: Context,
    namespace: str,
    ref: NamespacedReference,
    *,
    admin_roles: list[str],
    cleanup: bool = False,
) -> RealmParent:
    """The realm `ref` names for a client or user in `namespace`, checked against the
    realm's grants; `admin_roles` are the administrative roles the child asks for."""
    where = ref.namespace_or(namespace)
    obj = ctx.informer(REALMS).get(where, ref.name)
    if obj is None:
        raise Problem(
            reasons.DEPENDENCY_NOT_READY,
            f"KeycloakRealm {where}/{ref.name} not found; create it or fix spec.realmRef",
        )
    realm = parse(KeycloakRealm, obj)
    grants = realm.spec.client_authorization_grants or []
    # A child in the realm's own namespace needs no grant to attach, but an
    # admin-role grant may still select that namespace by label.
    needs_labels = any(g.needs_labels for g in grants) and (where != namespace or bool(admin_roles))
    labels = ctx.labels_if(needs_labels, namespace)
    if not realm.spec.allows_client(namespace, labels, where):
        raise Problem(
            reasons.NOT_GRANTED,
            f"KeycloakRealm {where}/{ref.name} does not grant namespace {namespace}; add it "
            "to the realm's spec.clientAuthorizationGrants",
        )
    if admin_roles and not realm.spec.allows_admin_roles(namespace, labels):
        raise Problem(
            reasons.NOT_GRANTED,
            f"administrative roles are asked for ({', '.join(admin_roles)}); "
            f"KeycloakRealm {where}/{ref.name} must grant namespace {namespace} with "
            "allowAdminRoles: true",
        )
    keycloak, admin = keycloak_parent(ctx, where, realm.spec.keycloak_ref, cleanup=cleanup)
    if admin is None:
        raise Problem(
            reasons.DEPENDENCY_NOT_READY,
            "the Keycloak credentials are gone; nothing was deleted in Keycloak",
        )
    return RealmParent(keycloak, admin, realm)


def realm_missing(realm: str) -> Problem:
    """The realm resource exists but the realm is not (yet) in Keycloak."""
    return Problem(
        reasons.DEPENDENCY_NOT_READY,
        f"realm {realm!r} does not exist in Keycloak yet; waiting for its KeycloakRealm",
    )


# A realm reporting one of these did not get to work on Keycloak (it waited for its
# own Keycloak or could not reach it), so its defaults may not be there yet.
NOT_WORKED_ON = reasons.WAITING_REASONS | {
    reasons.KEYCLOAK_UNAVAILABLE,
    reasons.AUTHENTICATION_FAILED,
    reasons.NOT_GRANTED,
}


def require_realm_reconciled(realm: KeycloakRealm, what: str, why: str) -> None:
    """Create `what` only once its realm resource has been reconciled for its current
    generation: Ready True *or* False at `metadata.generation`, for a reason that says
    the realm's reconcile got to Keycloak (not NOT_WORKED_ON).

    Keycloak copies some realm settings to an object only when the object is created
    (a client gets the realm's default client scopes, a user its default groups,
    roles and required actions), so a child applied together with its realm must not
    be created before the realm's reconcile has put them there. A realm that Keycloak
    partly rejected has still been reconciled: the child waits for the realm to have
    been worked on, not for it to be perfect. Existing children are never held back."""
    ready = realm.status.condition("Ready")
    generation = realm.metadata.generation
    current = ready is not None and ready.observed_generation == generation
    if ready is not None and current and ready.reason not in NOT_WORKED_ON:
        return
    key = object_key(realm.metadata.namespace, realm.metadata.name)
    if ready is None:
        seen = "has not been reconciled yet"
    elif not current:
        seen = (
            f"has not been reconciled for generation {generation} yet "
            f"(last for {ready.observed_generation})"
        )
    else:
        seen = f"has not reached Keycloak yet ({ready.reason})"
    raise Problem(
        reasons.DEPENDENCY_NOT_READY,
        f"KeycloakRealm {key} {seen}; {what} is created after it, {why}",
    )
