"""Each kind's wiring, declared once: its reconciler, parent, Secrets and children.

`setup.py` turns this table into informers, indexes, watches and controllers:
- the parent reference becomes an index on the child (parent key -> children),
  a watch that requeues children when their parent changes, and a watch that
  wakes the parent when a child is being deleted (its finalizer may wait);
- the referenced Secrets become an index and a watch, so a changed Secret
  requeues whoever reads it;
- `owns_secrets`: Secrets with a controller ownerReference to the kind requeue
  their owner when edited or deleted (they are put back).
Index functions read typed fields of the parsed resource, never string paths.
Adding a kind: its API model, one reconciler module, one line in WIRINGS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from keycloak_controller.api import Keycloak, KeycloakClient, KeycloakRealm
from keycloak_controller.api.common import CustomResource, NamespacedReference, SecretKeySelector
from keycloak_controller.api.user import KeycloakUser
from keycloak_controller.runtime.objects import STATEFULSETS, ResourceKind

from .client_reconciler import ClientReconciler
from .context import Context
from .keycloak_reconciler import KeycloakReconciler
from .realm_reconciler import RealmReconciler
from .skeleton import KindReconciler
from .user_reconciler import UserReconciler

Refs = Callable[[Any], Iterable[SecretKeySelector | None]]


@dataclass(frozen=True)
class Parent:
    model: type[CustomResource]
    ref: Callable[[Any], NamespacedReference]
    # The name of the child's index of parent keys.
    index: str


@dataclass(frozen=True)
class Wiring:
    model: type[CustomResource]
    reconciler: Callable[[Context], KindReconciler[Any, Any, Any]]
    parent: Parent | None = None
    # Secrets read, always in the resource's own namespace.
    secrets: Refs = lambda _: ()
    owns_secrets: bool = False
    # Other kinds it creates with a controller ownerReference: their changes
    # (a StatefulSet's rollout status) requeue the owner.
    owns: tuple[ResourceKind, ...] = ()


def _keycloak_secrets(kc: Keycloak) -> Iterable[SecretKeySelector | None]:
    return kc.spec.secret_refs()


def _realm_secrets(realm: KeycloakRealm) -> Iterable[SecretKeySelector | None]:
    return realm.spec.secret_refs()


def _client_secrets(client: KeycloakClient) -> Iterable[SecretKeySelector | None]:
    return client.spec.secret_refs()


def _user_secrets(user: KeycloakUser) -> Iterable[SecretKeySelector | None]:
    return [user.spec.password.secret_ref] if user.spec.password is not None else []


WIRINGS: tuple[Wiring, ...] = (
    Wiring(
        Keycloak,
        KeycloakReconciler,
        secrets=_keycloak_secrets,
        owns_secrets=True,
        owns=(STATEFULSETS,),
    ),
    Wiring(
        KeycloakRealm,
        RealmReconciler,
        parent=Parent(Keycloak, lambda r: r.spec.keycloak_ref, "keycloak"),
        secrets=_realm_secrets,
    ),
    Wiring(
        KeycloakClient,
        ClientReconciler,
        parent=Parent(KeycloakRealm, lambda c: c.spec.realm_ref, "realm"),
        secrets=_client_secrets,
        owns_secrets=True,
    ),
    Wiring(
        KeycloakUser,
        UserReconciler,
        parent=Parent(KeycloakRealm, lambda u: u.spec.realm_ref, "realm"),
        secrets=_user_secrets,
    ),
)
