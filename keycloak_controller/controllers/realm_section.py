"""A part of a realm that lives behind its own Admin API endpoints (roles, groups,
client scopes, ...), planned beside the realm's own settings.

The realm reconciler makes one instance of each section the spec manages, per
reconcile: `observe()` reads what Keycloak has (and keeps it on the instance),
`plan()` returns the changes, each named by field path. Sections run in the
order of `realm_sections.SECTIONS`; one whose plan depends on another's
creations (a default group on a new group) marks those creations `reobserve`.
A section is skipped while the realm itself does not exist.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import ClassVar

from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.keycloak.client import KeycloakAdmin

from .plan import Change


@dataclass(frozen=True)
class RealmScope:
    admin: KeycloakAdmin
    realm: str  # the realm's name in Keycloak
    owner_tag: str  # KeycloakRealm/<namespace>/<name>, for owned-only child sets


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
