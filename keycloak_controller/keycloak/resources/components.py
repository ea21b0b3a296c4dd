"""Components: key providers, user storage, user profile and other SPI instances."""

from __future__ import annotations

import builtins

from keycloak_controller.keycloak.adapters import Kind
from keycloak_controller.keycloak.models import ComponentRepresentation
from keycloak_controller.keycloak.resources.base import Resource


class Components(Resource):
    def list(
        self,
        realm: str,
        *,
        parent: str | None = None,
        provider_type: str | None = None,
        name: str | None = None,
    ) -> builtins.list[ComponentRepresentation]:
        params = {"parent": parent, "type": provider_type, "name": name}
        return self._list(
            Kind.COMPONENT, ComponentRepresentation, self.path(realm, "components"), params
        )

    def get(self, realm: str, component_id: str) -> ComponentRepresentation:
        return self._get(
            Kind.COMPONENT, ComponentRepresentation, self.path(realm, "components", component_id)
        )

    def create(self, realm: str, component: ComponentRepresentation) -> str:
        return self._create(Kind.COMPONENT, self.path(realm, "components"), component)

    def update(self, realm: str, component_id: str, component: ComponentRepresentation) -> None:
        self._update(Kind.COMPONENT, self.path(realm, "components", component_id), component)

    def delete(self, realm: str, component_id: str) -> None:
        self._delete(self.path(realm, "components", component_id))
