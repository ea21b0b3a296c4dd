"""KeycloakAdmin: the typed Admin API client for one Keycloak instance.

    admin = KeycloakAdmin(url, PasswordCredentials("admin", Secret(pw)))
    realm = admin.realms.get("demo")          # a RealmRepresentation
    admin.clients.create("demo", ClientRepresentation(client_id="app"))

One instance owns one requests.Session, token cache, circuit breaker and
limits (see transport.py). The server version is read from /admin/serverinfo
on first use unless given; it selects the version adapter that every
resource call goes through. Every later detect_version() that sees another
version (an in-place upgrade or downgrade) swaps the adapter, so realm and
client calls follow the server; a version given explicitly stays pinned.
"""

from __future__ import annotations

import threading
from types import TracebackType

from keycloak_controller.keycloak.adapters import VersionAdapter, adapter_for
from keycloak_controller.keycloak.auth import Credentials, PasswordCredentials
from keycloak_controller.keycloak.breaker import BreakerState
from keycloak_controller.keycloak.resources.authentication import Authentication
from keycloak_controller.keycloak.resources.authorization import Authorization
from keycloak_controller.keycloak.resources.clients import (
    Clients,
    ClientScopes,
    ProtocolMappers,
)
from keycloak_controller.keycloak.resources.components import Components
from keycloak_controller.keycloak.resources.groups import Groups
from keycloak_controller.keycloak.resources.identity_providers import IdentityProviders
from keycloak_controller.keycloak.resources.organizations import Organizations
from keycloak_controller.keycloak.resources.realms import Realms
from keycloak_controller.keycloak.resources.role_mappings import RoleMappings
from keycloak_controller.keycloak.resources.roles import Roles
from keycloak_controller.keycloak.resources.user_profile import UserProfile
from keycloak_controller.keycloak.resources.user_storage import UserStorage
from keycloak_controller.keycloak.resources.users import Users
from keycloak_controller.keycloak.secrets import Secret
from keycloak_controller.keycloak.transport import KeycloakTransport, TransportSettings
from keycloak_controller.keycloak.version import ServerVersion, version_from_serverinfo


class KeycloakAdmin:
    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        version: ServerVersion | str | None = None,
        settings: TransportSettings | None = None,
        instance: str | None = None,
        verify: bool | str = True,
    ) -> None:
        self.transport = KeycloakTransport(
            base_url, credentials, settings=settings, instance=instance, verify=verify
        )
        if isinstance(version, str):
            version = ServerVersion.parse(version)
        self._version = version
        # An explicit version always wins over what serverinfo says.
        self._pinned = version is not None
        self._adapter: VersionAdapter | None = None
        self._lock = threading.Lock()

        t, a = self.transport, self._get_adapter
        self.realms = Realms(t, a)
        self.clients = Clients(t, a)
        self.client_scopes = ClientScopes(t, a)
        self.client_protocol_mappers = ProtocolMappers(t, a, parent="clients")
        self.client_scope_protocol_mappers = ProtocolMappers(t, a, parent="client-scopes")
        self.roles = Roles(t, a)
        self.groups = Groups(t, a)
        self.users = Users(t, a)
        self.user_profile = UserProfile(t, a)
        self.user_role_mappings = RoleMappings(t, a, subject="users")
        self.group_role_mappings = RoleMappings(t, a, subject="groups")
        self.identity_providers = IdentityProviders(t, a)
        self.authentication = Authentication(t, a)
        self.components = Components(t, a)
        self.organizations = Organizations(t, a)
        self.authorization = Authorization(t, a)
        self.user_storage = UserStorage(t, a)

    @classmethod
    def with_password(
        cls,
        base_url: str,
        username: str,
        password: str,
        *,
        version: ServerVersion | str | None = None,
        settings: TransportSettings | None = None,
    ) -> KeycloakAdmin:
        """Log in as a master-realm admin through admin-cli."""
        credentials = PasswordCredentials(username, Secret(password))
        return cls(base_url, credentials, version=version, settings=settings)

    def __repr__(self) -> str:
        return f"KeycloakAdmin({self.transport.base_url!r}, version={self._version})"

    # -- version -------------------------------------------------------------

    @property
    def version(self) -> ServerVersion:
        """The server version: the override, else the last one /admin/serverinfo reported."""
        with self._lock:
            version = self._version
        return version if version is not None else self.detect_version()

    def detect_version(self) -> ServerVersion:
        """Ask the server (ignores the override).

        Unless the version was given explicitly, a version other than the one in
        use becomes the connection's version, and the next call gets its adapter.
        """
        detected = version_from_serverinfo(self.transport.request_json("GET", "/admin/serverinfo"))
        with self._lock:
            if not self._pinned and detected != self._version:
                self._version = detected
                self._adapter = None  # made again, for this version, on the next call
        return detected

    @property
    def adapter(self) -> VersionAdapter:
        return self._get_adapter()

    def _get_adapter(self) -> VersionAdapter:
        with self._lock:
            adapter, version = self._adapter, self._version
        if adapter is not None:
            return adapter
        if version is None:
            version = self.detect_version()
        # Raises UnsupportedByVersion for a version no adapter serves; nothing is cached then.
        adapter = adapter_for(version)
        with self._lock:
            if self._version == version and self._adapter is None:
                self._adapter = adapter
            return self._adapter or adapter

    # -- health of the connection --------------------------------------------

    @property
    def breaker_state(self) -> BreakerState:
        return self.transport.breaker.state

    # -- lifecycle -----------------------------------------------------------

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> KeycloakAdmin:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
