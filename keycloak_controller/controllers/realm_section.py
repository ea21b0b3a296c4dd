"""A part of a realm that lives behind its own Admin API endpoints (roles, groups,
client scopes, ...), planned beside the realm's own settings.

The realm reconciler makes one instance of each section the spec manages, per
reconcile: `observe()` reads what Keycloak has (and keeps it on the instance),
`plan()` returns the changes, each named by field path. Sections run in the
order of `realm_sections.SECTIONS`; one whose plan depends on another's
creations (a default group on a new group) marks those creations `reobserve`.
A section is skipped while the realm itself does not exist.

Secret values reach a section only through `RealmScope.secret` (masked
`Secret`s). Keycloak masks them on read, so a section that writes one keeps a
salted digest beside it (`secret_digest`) to see a rotated Secret as drift.
"""

from __future__ import annotations

import abc
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from keycloak_controller.api.common import SecretKeySelector
from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.secrets import Secret

from .plan import Change


@dataclass(frozen=True)
class RealmScope:
    admin: KeycloakAdmin
    realm: str  # the realm's name in Keycloak
    owner_tag: str  # KeycloakRealm/<namespace>/<name>, for owned-only child sets
    # Reads a Secret key in the realm resource's namespace (Problem when missing).
    secret: Callable[[SecretKeySelector], Secret] = lambda ref: _no_secrets(ref)
    salt: str = ""  # the resource's uid: digests differ between resources
    # spec.adoptExisting (and managing): a listed child that exists without this
    # resource's owner tag and otherwise matches is left as it is (ChildSet.plan's
    # `adopt`); the tag rides along with the first write the child needs.
    adopt: bool = False
    # status.adopted: children adopted untagged, by child set name (childset.Adoption).
    adopted: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def digest(self, value: Secret) -> str:
        return secret_digest(value, self.salt)


def secret_digest(value: Secret, salt: str) -> str:
    """A salted, truncated hash of a secret value: safe to store and compare."""
    return hashlib.sha256(f"{salt}\0{value.reveal()}".encode()).hexdigest()[:32]


def _no_secrets(ref: SecretKeySelector) -> Secret:
    raise AssertionError(f"no Secret reader in this scope (asked for {ref.name})")


class RealmSection(abc.ABC):
    # The spec field, as paths in messages start with it.
    name: ClassVar[str]

    def __init__(self, scope: RealmScope, spec: KeycloakRealmSpec) -> None:
        self.scope = scope
        self.spec = spec

    @classmethod
    @abc.abstractmethod
    def managed(cls, spec: KeycloakRealmSpec) -> bool:
        """Whether the spec sets this section at all (unset: not managed)."""

    @abc.abstractmethod
    def observe(self) -> None:
        """Read what Keycloak has; reads only."""

    @abc.abstractmethod
    def plan(self) -> list[Change]:
        """The changes that make Keycloak match the spec; no writes."""
