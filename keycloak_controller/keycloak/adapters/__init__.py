"""Version adapters: one canonical model (Keycloak 26.7.3), converted per version.

Chosen by the server's major.minor (`adapter_for`). Rules (each from
docs/keycloak-api-differences.md, the upgrade notes or the real servers):
- 26.7+ (canonical, Keycloak26Adapter): no conversion.
- 26.0-26.6 (Keycloak260Adapter), rules gated by the minor that made the change:
  - canonical fields added since 26.0 are dropped outbound with a
    FieldNotSupported warning: realm adminPermissionsClient,
    adminPermissionsEnabled, verifiableCredentialsEnabled (26.1), credential
    federationLink (26.2), realm webAuthnPolicyPasswordlessPasskeysEnabled and
    group description (26.3), identity provider types (26.5), realm
    maxSecondaryAuthFailures, scimApiEnabled and organization groups (26.6),
    realm webAuthnPolicyPasswordlessMediation,
    webAuthnPolicyPasswordlessResidentKey, webAuthnPolicyResidentKey, user
    verifiableCredentials / issuedVerifiableCredentials and client policy mode
    (26.7);
  - client policy mode STRICT is refused before 26.7 (UnsupportedByVersion);
  - before 26.3, a client policy condition's or profile executor's
    `configuration` read as an array (the older specs' type) becomes an object;
  - before 26.4, the realm's legacy oAuth2DeviceCodeLifespan /
    oAuth2DevicePollingInterval spellings become oauth2DeviceCodeLifespan /
    oauth2DevicePollingInterval, both ways.
- 25.x (Keycloak25Adapter), on top of 26.0's:
  - realm bruteForceStrategy and organization alias / redirectUrl are
    dropped (26.0);
  - identity provider hideOnLogin / organizationId travel as config
    attributes hideOnLoginPage / kc.org;
  - a realm read drops identityProviders / identityProviderMappers (26 stopped
    returning them);
  - organizations are a preview feature (OrganizationsPreview warning).
- 24.x (Keycloak24Adapter), on top of 25's: no organizations
  (OrganizationsNotSupported error, calls refused without contacting the
  server); realm organizations/organizationsEnabled, client type, execution
  priority and client policies' globalPolicies are dropped; health is on the
  HTTP port (8080), not the management port (9000).
"""

from __future__ import annotations

from keycloak_controller.keycloak.adapters.base import Keycloak26Adapter, VersionAdapter
from keycloak_controller.keycloak.adapters.findings import Finding, Severity, errors
from keycloak_controller.keycloak.adapters.kinds import Kind
from keycloak_controller.keycloak.adapters.v24 import Keycloak24Adapter
from keycloak_controller.keycloak.adapters.v25 import Keycloak25Adapter
from keycloak_controller.keycloak.adapters.v26_0 import Keycloak260Adapter
from keycloak_controller.keycloak.errors import UnsupportedByVersion
from keycloak_controller.keycloak.version import ServerVersion

OLDEST_SUPPORTED_MAJOR = 24
# The oldest minor of the canonical line: 26.7 and everything newer pass through.
CANONICAL_FROM = ServerVersion(26, 7)


def adapter_for(version: ServerVersion | str) -> VersionAdapter:
    """The adapter for a server version, by major.minor; newer ones use the canonical one."""
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
    if ServerVersion(version.major, version.minor) < CANONICAL_FROM:
        return Keycloak260Adapter(version)
    return Keycloak26Adapter(version)


__all__ = [
    "CANONICAL_FROM",
    "Finding",
    "Keycloak24Adapter",
    "Keycloak25Adapter",
    "Keycloak26Adapter",
    "Keycloak260Adapter",
    "Kind",
    "Severity",
    "VersionAdapter",
    "adapter_for",
    "errors",
]
