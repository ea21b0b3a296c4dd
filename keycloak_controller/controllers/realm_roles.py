"""`spec.roles` as a realm section: realm roles (owned-only) and their composites."""

from __future__ import annotations

from keycloak_controller.api.realm import KeycloakRealmSpec

from .plan import Change
from .realm_section import RealmSection
from .roles import ObservedRoles, observe_roles, plan_roles


class RolesSection(RealmSection):
    name = "roles"

    @classmethod
    def managed(cls, spec: KeycloakRealmSpec) -> bool:
        return spec.roles is not None

    def observe(self) -> None:
        self.observed: ObservedRoles = observe_roles(
            self.scope.admin, self.scope.realm, self.spec.roles or []
        )

    def plan(self) -> list[Change]:
        scope = self.scope
        return plan_roles(
            scope.admin, scope.realm, self.spec.roles or [], self.observed, scope.owner_tag
        )
