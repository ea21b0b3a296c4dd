"""Generic child sets: desired against actual by a stable key, under an explicit removal policy.

Every list of sub-objects a kind manages (roles, composites, mappers, scopes,
role mappings, group memberships, ...) is one `ChildSet`. Planning is pure:

    plan = ROLES.plan(desired, actual)         # SetPlan(create, update, delete)
    changes = ROLES.changes(plan, ops)         # Plan changes that run `ops`

Removal policies (shown in the CRD field descriptions, so `kubectl explain`
says what is removed):
- AUTHORITATIVE: whatever is not listed is removed (except `protected` items,
  such as Keycloak's own defaults);
- OWNED_ONLY: only items this resource created (tagged with its owner
  attribute) are removed when no longer listed; anything else is left alone;
- ADDITIVE: nothing is ever removed.
A set that is not set in the spec (None) is not managed at all: the kind does
not call `plan` for it.

Adoption (spec.adoptExisting; the kind plans inside `ownership.adopting(Adoption(...))`, so
every set of the resource follows it without being told): a listed item that
exists without this resource's owner tag and matches once tagged (`stamp`: the
tag, and the digests of Secret values Keycloak masks, taken as current) is left as
it is; its tag rides along with the first write it needs anyway. An item that
carries the tag is compared as always. Since an adopted item may carry no tag,
OWNED_ONLY sets remember the listed items they found untagged in the resource's
status (`Adoption.record`, not a Keycloak write): one later removed from the spec
is deleted like an item this resource created.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from .ownership import current_adoption
from .plan import Change, Target, Verb

D = TypeVar("D")  # a desired item (spec side)
A = TypeVar("A")  # an actual item (Keycloak side)


class Removal(enum.Enum):
    AUTHORITATIVE = "authoritative"
    OWNED_ONLY = "owned-only"
    ADDITIVE = "additive"

    @property
    def description(self) -> str:
        """The sentence a CRD field description carries."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    Removal.AUTHORITATIVE: "Authoritative: when set, anything not listed is removed.",
    Removal.OWNED_ONLY: (
        "Owned-only: items this resource created are removed when no longer listed; "
        "items created elsewhere are left alone."
    ),
    Removal.ADDITIVE: "Additive: listed items are kept as listed; nothing is ever removed.",
}


@dataclass
class SetPlan(Generic[D, A]):
    create: list[D] = field(default_factory=list)
    update: list[tuple[D, A]] = field(default_factory=list)
    delete: list[A] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.create or self.update or self.delete)


def _never(_: object) -> bool:
    return False


@dataclass(frozen=True)
class SetOps(Generic[D, A]):
    """How to write one set's items (closures over the admin client and ids)."""

    create: Callable[[D], object]
    delete: Callable[[A], object]
    update: Callable[[D, A], object] | None = None  # None: delete, then create


@dataclass(frozen=True)
class ChildSet(Generic[D, A]):
    """One kind of child: its path in messages, its keys, equality and removal policy."""

    name: str
    removal: Removal
    desired_key: Callable[[D], str]
    actual_key: Callable[[A], str]
    # Whether an actual item already satisfies the desired one (one-sided).
    equal: Callable[[D, A], bool] = lambda _d, _a: True
    # OWNED_ONLY: whether this resource created the item.
    owned: Callable[[A], bool] = _never
    # Never removed under any policy (Keycloak's built-ins, default roles).
    protected: Callable[[A], bool] = _never
    # The actual item as adoption takes it: with this resource's own records where it
    # has none (its owner tag; digests of Secret values Keycloak masks on read), so
    # adoption can tell "only our records are missing" from a real difference.
    stamp: Callable[[D, A], A] | None = None

    def plan(self, desired: Sequence[D], actual: Iterable[A]) -> SetPlan[D, A]:
        adoption = current_adoption()
        remembers = adoption is not None and self.removal is Removal.OWNED_ONLY
        have = {self.actual_key(a): a for a in actual}
        result: SetPlan[D, A] = SetPlan()
        wanted: set[str] = set()
        for item in desired:
            key = self.desired_key(item)
            wanted.add(key)
            current = have.get(key)
            if current is None:
                result.create.append(item)
                continue
            adopt = adoption is not None and adoption.adopt
            untagged = remembers and not self.owned(current)
            if adoption is not None and untagged and (adopt or adoption.adopted(self.name, key)):
                adoption.remember(self.name, key)
            if not self.equal(item, current) and not (adopt and self._adopted_as_is(item, current)):
                result.update.append((item, current))
        for key, current in have.items():
            if key in wanted or self.protected(current):
                continue
            adopted = adoption is not None and remembers and adoption.adopted(self.name, key)
            if self._removable(current) or adopted:
                result.delete.append(current)
        return result

    def _adopted_as_is(self, item: D, current: A) -> bool:
        """An untagged item that differs from the spec only by the missing tag."""
        return (
            self.stamp is not None
            and not self.owned(current)
            and self.equal(item, self.stamp(item, current))
        )

    def _removable(self, item: A) -> bool:
        if self.removal is Removal.AUTHORITATIVE:
            return True
        if self.removal is Removal.OWNED_ONLY:
            return self.owned(item)
        return False

    def changes(
        self, plan: SetPlan[D, A], ops: SetOps[D, A], *, target: Target = Target.KEYCLOAK
    ) -> list[Change]:
        """The plan as changes, deletes first (a renamed key frees its name)."""

        def path(key: str) -> str:
            return f"{self.name}[{key}]"

        out: list[Change] = []
        for current in plan.delete:
            out.append(
                Change(
                    path(self.actual_key(current)), Verb.DELETE, _bind(ops.delete, current), target
                )
            )
        for wanted, current in plan.update:
            key = self.desired_key(wanted)
            if ops.update is not None:
                run = _bind2(ops.update, wanted, current)
            else:
                run = _replace(ops.delete, ops.create, wanted, current)
            out.append(Change(path(key), Verb.UPDATE, run, target))
        for wanted in plan.create:
            out.append(
                Change(
                    path(self.desired_key(wanted)), Verb.CREATE, _bind(ops.create, wanted), target
                )
            )
        return out


def _bind(fn: Callable[[D], object], item: D) -> Callable[[], object]:
    return lambda: fn(item)


def _bind2(fn: Callable[[D, A], object], wanted: D, current: A) -> Callable[[], object]:
    return lambda: fn(wanted, current)


def _replace(
    delete: Callable[[A], object], create: Callable[[D], object], wanted: D, current: A
) -> Callable[[], object]:
    def run() -> None:
        delete(current)
        create(wanted)

    return run


def names(items: Iterable[str]) -> list[str]:
    """A list of names as its own key (sets of plain names: scopes, roles, groups)."""
    return sorted(set(items))


def identity(value: str) -> str:
    return value
