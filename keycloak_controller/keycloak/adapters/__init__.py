"""Version adapters: one canonical model, converted per Keycloak version.

Rules (each from docs/keycloak-api-differences.md or the upgrade notes):
- 26.x (canonical): no conversion.
- 25.x and 24.x:
  - realm fields adminPermissionsClient, adminPermissionsEnabled,
    bruteForceStrategy, verifiableCredentialsEnabled and
    webAuthnPolicyPasswordlessPasskeysEnabled, group description, identity
    provider types, credential federationLink, organization alias and
    redirectUrl are 26-only: dropped outbound with a FieldNotSupported warning;
  - identity provider hideOnLogin / organizationId travel as config
    attributes hideOnLoginPage / kc.org;
  - a realm read drops identityProviders / identityProviderMappers (26 stopped
    returning them) and folds the legacy oAuth2Device* spellings.
- 25.x: organizations are a preview feature (OrganizationsPreview warning).
- 24.x: no organizations (OrganizationsNotSupported error, calls refused
  without contacting the server); realm organizations/organizationsEnabled,
  client type and execution priority are dropped; health is on the HTTP port
  (8080), not the management port (9000).
"""

from __future__ import annotations

from keycloak_controller.keycloak.adapters.base import Keycloak26Adapter, VersionAdapter
from keycloak_controller.keycloak.adapters.findings import Finding, Severity, errors
from keycloak_controller.keycloak.adapters.kinds import Kind
from keycloak_controller.keycloak.adapters.v24 import Keycloak24Adapter
from keycloak_controller.keycloak.adapters.v25 import Keycloak25Adapter
from keycloak_controller.keycloak.errors import UnsupportedByVersion
from keycloak_controller.keycloak.version import ServerVersion

OLDEST_SUPPORTED_MAJOR = 24


def adapter_for(version: ServerVersion | str) -> VersionAdapter:
    """The adapter for a server version; newer majors than 26 use the canonical one."""
    if isinstance(version, str):
        version = ServerVersion.parse(version)
    if version.major < OLDEST_SUPPORTED_MAJOR:
        raise UnsupportedByVersion(
            f"Keycloak {version} is not supported (oldest supported: {OLDEST_SUPPORTED_MAJOR})"
        )
    if version.major == 24:
        return Keycloak24Adapter(version)
    if version.major == 25:
        return Keycloak25Adapter(version)
    return Keycloak26Adapter(version)


__all__ = [
    "Finding",
    "Keycloak24Adapter",
    "Keycloak25Adapter",
    "Keycloak26Adapter",
    "Kind",
    "Severity",
    "VersionAdapter",
    "adapter_for",
    "errors",
]
