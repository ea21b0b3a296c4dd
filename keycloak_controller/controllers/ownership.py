"""Who owns a Keycloak object: attributes stamped on it name the custom resource.

Realms and clients carry string attributes:
    keycloak-controller.dev/managed-by      keycloak-controller
    keycloak-controller.dev/owner-namespace <namespace of the CR>
    keycloak-controller.dev/owner-name      <name of the CR>
    keycloak-controller.dev/owner-uid       <uid of the CR>
Decisions:
- OWNED: the attributes name this CR (same namespace and name). A different
  uid with the same namespace and name is a previous incarnation of this CR
  (deleted with Retain and recreated) and counts as owned; the uid is re-stamped.
- UNOWNED: no managed-by attribute; adopted only with `adoptExisting: true`.
  Adoption itself writes nothing: the stamp is not a change on its own, it rides
  along with the first write the object needs anyway (`stamp_only`). Until then
  the Kubernetes side guards the claim: of two resources of one kind for the
  same Keycloak object, the one created first keeps it (`first_claimant`).
- FOREIGN: another CR owns it; never written, never deleted.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from .reasons import OWNERSHIP_CONFLICT, Problem

PREFIX = "keycloak-controller.dev/"
MANAGED_BY = PREFIX + "managed-by"
OWNER_NAMESPACE = PREFIX + "owner-namespace"
OWNER_NAME = PREFIX + "owner-name"
OWNER_UID = PREFIX + "owner-uid"
MANAGER = "keycloak-controller"


class Ownership(enum.Enum):
    OWNED = "owned"
    UNOWNED = "unowned"
    FOREIGN = "foreign"


@dataclass(frozen=True)
class Owner:
    """The custom resource that manages a Keycloak object."""

    kind: str
    namespace: str
    name: str
    uid: str

    def attributes(self) -> dict[str, str]:
        return {
            MANAGED_BY: MANAGER,
            OWNER_NAMESPACE: self.namespace,
            OWNER_NAME: self.name,
            OWNER_UID: self.uid,
        }

    def decide(self, attributes: Mapping[str, str] | None) -> Ownership:
        attributes = attributes or {}
        if attributes.get(MANAGED_BY) != MANAGER:
            return Ownership.UNOWNED
        same = (
            attributes.get(OWNER_NAMESPACE) == self.namespace
            and attributes.get(OWNER_NAME) == self.name
        )
        return Ownership.OWNED if same else Ownership.FOREIGN

    def describe_other(self, attributes: Mapping[str, str] | None) -> str:
        attributes = attributes or {}
        return (
            f"{self.kind} {attributes.get(OWNER_NAMESPACE, '?')}/{attributes.get(OWNER_NAME, '?')}"
        )


def conflict_message(
    owner: Owner, what: str, decision: Ownership, attributes: Mapping[str, str] | None
) -> str:
    if decision is Ownership.FOREIGN:
        return (
            f"{what} is managed by {owner.describe_other(attributes)}; nothing was written. "
            "Delete that resource or point this one at another name."
        )
    return (
        f"{what} already exists and no resource manages it; nothing was written. "
        "Set spec.adoptExisting: true to take it over."
    )


def claim(owner: Owner, what: str, attributes: Mapping[str, str] | None, adopt: bool) -> Ownership:
    """Raise OwnershipConflict unless `owner` may write the object: it owns it, or it
    is unowned and adoption was asked for (a write then stamps the attributes).
    Returns the decision: UNOWNED means "being adopted" (see `stamp_only`)."""
    decision = owner.decide(attributes)
    if decision is Ownership.FOREIGN or (decision is Ownership.UNOWNED and not adopt):
        raise Problem(OWNERSHIP_CONFLICT, conflict_message(owner, what, decision, attributes))
    return decision


def stamp_only(decision: Ownership, needed_without_stamp: bool) -> bool:
    """Whether a planned write would only stamp ownership on an object being adopted,
    so it is not made. Only an UNOWNED object (adopted by opt-in) is spared: an owned
    one whose stamp is stale (an old uid) is re-stamped as before."""
    return decision is Ownership.UNOWNED and not needed_without_stamp


@dataclass(frozen=True, order=True)
class Claimant:
    """A resource that claims a Keycloak object, as the Kubernetes side sees it."""

    created: str  # metadata.creationTimestamp (RFC 3339 in UTC: sorts as time)
    namespace: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


def first_claimant(me: Claimant, rivals: Iterable[Claimant]) -> Claimant | None:
    """The rival that claimed the object before `me` (created earlier; the
    namespace/name breaks a tie), or None when `me` is first."""
    earlier = [r for r in rivals if r.key != me.key and r < me]
    return min(earlier) if earlier else None


def rival_message(kind: str, what: str, rival: Claimant) -> str:
    return (
        f"{what} is already claimed by {kind} {rival.key}, which adopted it first; "
        "nothing was written. Delete one of the two resources."
    )


@dataclass
class Adoption:
    """What adoption remembers outside Keycloak (in the resource's status, so adoption
    writes nothing), per resource and reconcile.

    `before`: child set name -> keys of the children it adopted untagged (childset.py);
    `adopt`: spec.adoptExisting (whether untagged listed children are taken over now,
    or only the record is honoured). `record()` is the new record: the adopted children
    still listed and still there.

    `digests_before`: field path -> digest of a Secret value that adoption took Keycloak
    to hold (it masks them) before any digest was recorded in Keycloak; `taken` keeps
    that assumption while the Secret keeps its value, so a Secret changed before the
    object's first write is still seen and sent. `digest_record()` is the new record."""

    before: Mapping[str, Sequence[str]] = field(default_factory=dict)
    adopt: bool = True
    digests_before: Mapping[str, str] = field(default_factory=dict)
    now: dict[str, set[str]] = field(default_factory=dict)
    digests_now: dict[str, str] = field(default_factory=dict)

    def adopted(self, set_name: str, key: str) -> bool:
        return key in self.before.get(set_name, ())

    def remember(self, set_name: str, key: str) -> None:
        self.now.setdefault(set_name, set()).add(key)

    def record(self) -> dict[str, list[str]] | None:
        return {name: sorted(keys) for name, keys in sorted(self.now.items()) if keys} or None

    def taken(self, path: str, digest: str) -> bool:
        """Whether the Secret value at `path` (none recorded in Keycloak) is taken as
        the one Keycloak holds: at adoption, and after while the Secret is unchanged."""
        if self.digests_before.get(path, digest) != digest:
            return False
        self.digests_now[path] = digest
        return True

    def digest_record(self) -> dict[str, str] | None:
        return dict(sorted(self.digests_now.items())) or None


_adoption: ContextVar[Adoption | None] = ContextVar("childset_adoption", default=None)


@contextmanager
def adopting(adoption: Adoption | None) -> Iterator[None]:
    """Plan every child set inside under `adoption` (None: no adoption)."""
    token = _adoption.set(adoption)
    try:
        yield
    finally:
        _adoption.reset(token)


def current_adoption() -> Adoption | None:
    return _adoption.get()
