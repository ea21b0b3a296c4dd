"""User storage (federation) actions: a sync on request, and LDAP connection tests.

Neither endpoint is in Keycloak's OpenAPI description (they live on separate
resource classes), so their small bodies are modelled here.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from keycloak_controller.keycloak.errors import KeycloakError
from keycloak_controller.keycloak.resources.base import Resource
from keycloak_controller.keycloak.secrets import Secret


class SynchronizationResult(BaseModel):
    """What `POST /user-storage/{id}/sync` reports (Keycloak's SynchronizationResult)."""

    model_config = ConfigDict(extra="allow")

    ignored: bool = False
    added: int = 0
    updated: int = 0
    removed: int = 0
    failed: int = 0
    status: str | None = None


class LdapConnection(BaseModel):
    """How to reach and bind to an LDAP server, for Keycloak's connection test."""

    connection_url: str
    bind_dn: str | None = None
    use_truststore_spi: str | None = None  # "always" / "never"
    start_tls: bool | None = None
    connection_timeout_millis: int | None = None
    component_id: str | None = Field(
        default=None, description="An existing provider: its stored truststore settings apply."
    )


class UserStorage(Resource):
    def sync(self, realm: str, component_id: str, *, full: bool = True) -> SynchronizationResult:
        """Run a full (or changed-users) sync of a provider now; returns its counts."""
        action = "triggerFullSync" if full else "triggerChangedUsersSync"
        path = self.path(realm, "user-storage", component_id, "sync")
        data = self._t.request_json("POST", path, params={"action": action})
        if not isinstance(data, dict):
            raise KeycloakError(f"expected a sync result, got {type(data).__name__}")
        return SynchronizationResult.model_validate(data)

    def test_ldap_authentication(
        self, realm: str, connection: LdapConnection, credential: Secret | None
    ) -> None:
        """Keycloak binds to LDAP as given; raises BadRequest with Keycloak's reason
        (AuthenticationFailure, SocketReset, ...) when it cannot."""
        body: dict[str, object] = {
            "action": "testAuthentication",
            "connectionUrl": connection.connection_url,
            "authType": "simple" if connection.bind_dn else "none",
        }
        optional = {
            "bindDn": connection.bind_dn,
            "useTruststoreSpi": connection.use_truststore_spi,
            "startTls": None if connection.start_tls is None else str(connection.start_tls).lower(),
            "connectionTimeout": None
            if connection.connection_timeout_millis is None
            else str(connection.connection_timeout_millis),
            "componentId": connection.component_id,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        if credential is not None:
            body["bindCredential"] = credential.reveal()
        self._t.request("POST", self.path(realm, "testLDAPConnection"), json=body)
