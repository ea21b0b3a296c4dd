"""`spec.authenticationFlows` as a realm section. Placeholder: not managed yet."""

from __future__ import annotations

from keycloak_controller.api.realm import KeycloakRealmSpec

from .plan import Change
from .realm_section import RealmSection


class AuthenticationFlowsSection(RealmSection):
    name = "authenticationFlows"

    @classmethod
    def managed(cls, spec: KeycloakRealmSpec) -> bool:
        return False

    def observe(self) -> None:
        pass

    def plan(self) -> list[Change]:
        return []
