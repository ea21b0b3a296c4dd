"""Objects that name other CRs by their Keycloak name, woken when those become Ready.

A client's authorization policies name users (by username) and clients (by
clientId) of its realm. When those are KeycloakUsers or KeycloakClients of the
same realm resource, the client would otherwise see them only at its next retry;
an index on the clients (realm resource + what is named) and a watch on the named
kinds requeue it as soon as the named object is Ready. Objects made elsewhere
(the Admin Console, an import) have no event: the short retry interval of a
waiting object (reporting.Timing.wait_retry_cap) covers them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import ValidationError

from keycloak_controller.api import KeycloakClient, KeycloakUser
from keycloak_controller.runtime.controller import Controller
from keycloak_controller.runtime.informer import Informer
from keycloak_controller.runtime.objects import KubeObject, ResourceKind, object_key
from keycloak_controller.runtime.reconcile import Request
from keycloak_controller.runtime.status import conditions_of, find_condition

from .kinds import CLIENTS, resource_kind

# The client informer's index of the users and clients its policies name.
BY_NAMED = "authorization-named"


def named_key(realm_key: str, kind: str, name: str) -> str:
    """`ns/realm|user|alice`: what an index entry and a lookup agree on."""
    return f"{realm_key}|{kind}|{name}"


def realm_key_of(cr: KeycloakClient | KeycloakUser) -> str:
    ref = cr.spec.realm_ref
    return object_key(ref.namespace_or(cr.metadata.namespace), ref.name)


def policy_names(client: KeycloakClient) -> list[str]:
    """The index keys of the users and clients `client`'s authorization policies name."""
    authorization = client.spec.authorization
    if authorization is None or not authorization.policies:
        return []
    realm = realm_key_of(client)
    keys: set[str] = set()
    for policy in authorization.policies:
        if policy.user is not None:
            keys.update(named_key(realm, "user", u) for u in policy.user.users)
        if policy.client is not None:
            keys.update(named_key(realm, "client", c) for c in policy.client.clients)
    return sorted(keys)


def index_policy_names(obj: KubeObject) -> list[str]:
    try:
        client = KeycloakClient.model_validate(obj.raw)
    except ValidationError:
        return []  # it reports InvalidSpec itself
    return policy_names(client)


def own_key(obj: KubeObject, named: str) -> str | None:
    """The key under which dependants name a KeycloakUser (`named` "user") or a
    KeycloakClient ("client"), read from the raw object: this runs on every event of
    both kinds, status writes included, so it does not parse the whole resource."""
    spec = obj.get("spec") or {}
    name = spec.get("username" if named == "user" else "clientId")
    ref = spec.get("realmRef") or {}
    if not isinstance(name, str) or not isinstance(ref.get("name"), str):
        return None
    return named_key(object_key(ref.get("namespace") or obj.namespace, ref["name"]), named, name)


def ready_now(obj: KubeObject) -> bool:
    """Ready=True for the object's current generation."""
    ready = find_condition(conditions_of(obj), "Ready")
    return (
        ready is not None
        and ready.status == "True"
        and (ready.observed_generation == obj.generation)
    )


class WakeDependants:
    """Map a Ready user or client to the clients whose policies name it."""

    def __init__(self, clients: Informer, named: str) -> None:
        self.clients = clients
        self.named = named  # "user" or "client": the kind of the watched objects

    def __call__(self, obj: KubeObject) -> Iterable[Request]:
        if obj.deletion_timestamp or not ready_now(obj):
            return []
        key = own_key(obj, self.named)
        if key is None:
            return []
        return [
            Request(o.namespace, o.name)
            for o in self.clients.by_index(BY_NAMED, key)
            if o.key != obj.key
        ]


def watch_named(
    controller: Controller, kind: ResourceKind, informers: Mapping[ResourceKind, Informer]
) -> None:
    """On the client controller: index its policies' names and wake it when a named
    KeycloakUser or KeycloakClient becomes Ready (setup.py calls this for every kind)."""
    if kind != CLIENTS:
        return
    clients = informers[CLIENTS]
    clients.add_index(BY_NAMED, index_policy_names)
    controller.watches(informers[resource_kind(KeycloakUser)], WakeDependants(clients, "user"))
    controller.watches(clients, WakeDependants(clients, "client"))
