"""The realm's declarative user profile (one UPConfig document).

The adapters have no conversions for UPConfig: its shape is the same in every
supported spec (24.0 to 26.7) except `UPAttribute.defaultValue` (26.7), which
the controller never sends. So the document is read and written as is.
"""

from __future__ import annotations

from keycloak_controller.keycloak.errors import KeycloakError
from keycloak_controller.keycloak.models import UPConfig
from keycloak_controller.keycloak.resources.base import Resource, to_json


class UserProfile(Resource):
    def get(self, realm: str) -> UPConfig:
        data = self._t.request_json("GET", self.path(realm, "users", "profile"))
        if not isinstance(data, dict):
            raise KeycloakError(f"expected a UPConfig object, got {type(data).__name__}")
        return UPConfig.model_validate(data)

    def update(self, realm: str, config: UPConfig) -> None:
        self._t.request("PUT", self.path(realm, "users", "profile"), json=to_json(config))
