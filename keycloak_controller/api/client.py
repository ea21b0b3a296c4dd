"""`KeycloakClient`: one OIDC or SAML client in a realm, and its credentials Secret.

Layers: placement (`realmRef`), identity (`clientId`, immutable), Kubernetes
integrations (`credentialsSecret`, bring-your-own secret) and typed settings
(OIDC ones in `client_oidc`, the `saml:` block in `client_saml`).
Authorization services slot in later as optional fields.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field

from .base import MAX_LIST, MAX_NAME, MAX_TEXT, MAX_URL, SpecModel, cel, immutable, list_map
from .base import Rule as CelRule
from .base import list_set as _list_set
from .client_authorization import AUTHORIZATION_RULE, ClientAuthorization
from .client_credentials import ROTATION_RULES, CredentialsStatus, SecretMetadata, SecretRotation
from .client_oidc import (
    ClientAuthentication,
    ClientAuthMethod,
    Consent,
    FlowOverrides,
    Logout,
    TokenSettings,
)
from .client_saml import SamlSettings
from .common import (
    DNS_SUBDOMAIN,
    READY_COLUMNS,
    TRAILING_COLUMNS,
    CustomResource,
    ManagedObjectSpec,
    PrinterColumn,
    RealmReference,
    ResourceNames,
    ResourceStatus,
    SecretKeySelector,
)
from .roles import Role, RoleMappingSpec

Url = Annotated[str, Field(min_length=1, max_length=MAX_URL)]
# Root, base and admin URLs, redirect URIs and web origins are VARCHAR(255) columns in
# Keycloak: a longer one is an HTTP 500 there (retried forever), so it is refused here.
# Post-logout redirect URIs are a client attribute, which takes longer text.
ColumnUrl = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]

# A bare "*" lets any site receive tokens (redirects) or call with credentials
# (CORS); patterns such as https://app.example.com/* stay allowed.
_NO_BARE_STAR = "self.all(u, u != '*')"
# A "*" in the host (https://*.acme.test/cb) reads as "any subdomain", which
# Keycloak does not do (it only matches a trailing * of the path): refused so
# nobody relies on it, or on a later version treating it as a pattern.
_NO_HOST_STAR = "self.all(u, !u.matches('^[^:/?#]+://[^/?#]*[*]'))"
# Mapper types that run code inside Keycloak: allowed only by the realm's grant.
SCRIPT_MAPPER_TYPES = frozenset({"oidc-script-based-protocol-mapper", "saml-javascript-mapper"})
SCRIPT_MAPPER_PREFIX = "script-"  # mappers deployed as JavaScript providers


def is_script_mapper(mapper_type: str) -> bool:
    return mapper_type in SCRIPT_MAPPER_TYPES or mapper_type.startswith(SCRIPT_MAPPER_PREFIX)


_FLOW_FLAGS = (
    "standard",
    "implicit",
    "directAccessGrants",
    "serviceAccounts",
    "deviceAuthorization",
)


def _uri_list(what: str, field: str, star_message: str) -> Any:
    host_message = (
        f"{field} must not have a wildcard in the host (such as https://*.acme.test/cb): "
        "Keycloak only matches a trailing * of the path; list each host"
    )
    return Field(
        default=None,
        max_length=MAX_LIST,
        description=what,
        json_schema_extra=cel(
            CelRule(_NO_BARE_STAR, star_message),
            CelRule(_NO_HOST_STAR, host_message),
            **_list_set(),
        ),
    )


class AccessType(enum.StrEnum):
    """How the client authenticates and what it may do."""

    CONFIDENTIAL = "Confidential"
    PUBLIC = "Public"
    BEARER_ONLY = "BearerOnly"


class PkceMethod(enum.StrEnum):
    """The PKCE code challenge method the client must use."""

    S256 = "S256"
    PLAIN = "plain"


@dataclass(frozen=True)
class EffectiveFlows:
    """The flows after applying the access type's defaults to what the spec sets."""

    standard: bool
    implicit: bool
    direct_access_grants: bool
    service_accounts: bool
    device_authorization: bool
    ciba: bool | None


class ClientFlows(SpecModel):
    """OAuth 2.0 / OIDC flows. Unset flags take the access type's defaults."""

    standard: bool | None = Field(
        default=None,
        description="Authorization code flow. Unset: true, except for BearerOnly clients.",
    )
    implicit: bool | None = Field(default=None, description="Implicit flow. Unset: false.")
    direct_access_grants: bool | None = Field(
        default=None, description="Resource-owner password grant. Unset: false."
    )
    service_accounts: bool | None = Field(
        default=None,
        description="Client-credentials grant with a service account (Confidential only). "
        "Unset: false.",
    )
    device_authorization: bool | None = Field(
        default=None, description="OAuth 2.0 device authorization grant. Unset: false."
    )
    ciba: bool | None = Field(
        default=None,
        description="OpenID Connect client-initiated backchannel authentication (CIBA) grant "
        "(Confidential only). Unset: not managed.",
    )


class ProtocolMapper(SpecModel):
    """A protocol mapper: adds a claim to this client's tokens."""

    name: str = Field(min_length=1, max_length=MAX_NAME, description="The mapper's name.")
    protocol_mapper: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        description="The mapper type, e.g. oidc-usermodel-attribute-mapper.",
    )
    config: dict[str, Annotated[str, Field(max_length=MAX_TEXT)]] = Field(
        default_factory=dict,
        description="The mapper's configuration, e.g. {claim.name: email, access.token.claim: "
        "'true'}.",
    )


class ServiceAccount(RoleMappingSpec):
    """The client's service account: its roles and groups."""

    groups: list[Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            "Groups of the service account, by path (e.g. /services/billing): it gets their "
            "roles. Unset: not managed. Authoritative: when set, the account leaves groups "
            "not listed. "
            "A group holding administrative roles needs allowAdminRoles, like the roles."
        ),
        json_schema_extra=_list_set(),
    )


class CredentialsSecret(SecretMetadata):
    """The Secret the controller writes in this client's namespace.

    Keys: client-id, client-secret (Confidential OIDC clients that authenticate
    with the secret), issuer, token-endpoint, authorization-endpoint,
    userinfo-endpoint, jwks-uri; SAML clients also get saml-idp-metadata-url,
    saml-idp-sso-url and saml-idp-signing-certificate (the realm's, base64 DER);
    every client also gets keycloak-url and realm. The Secret is owned by the
    KeycloakClient, recreated if deleted and put back if edited.
    """

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                "!has(self.existingSecret) || !has(self.name) "
                "|| self.existingSecret.name != self.name",
                "existingSecret must be a different Secret from the one the controller writes",
                field_path=".existingSecret.name",
            )
        )
    )

    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=253,
        pattern=DNS_SUBDOMAIN,
        description="Name of the Secret. Unset: <metadata.name>-credentials.",
    )
    existing_secret: SecretKeySelector | None = Field(
        default=None,
        description=(
            "Bring your own client secret: the controller sets the client's secret in Keycloak "
            "from this Secret key (Confidential clients only). Unset: Keycloak generates it."
        ),
    )
    rotation: SecretRotation | None = Field(
        default=None,
        description=(
            "Rotate the generated client secret on a schedule; on request at any time with "
            "the keycloak-controller.dev/rotate-secret annotation. Not with existingSecret. "
            "See docs/client-credentials.md."
        ),
    )


class KeycloakClientSpec(ManagedObjectSpec):
    """The desired client. Unset settings are left as Keycloak has them."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                "self.accessType != 'Public' || !has(self.flows) "
                "|| !has(self.flows.serviceAccounts) || !self.flows.serviceAccounts",
                "public clients cannot use service accounts; set accessType: Confidential",
                field_path=".flows.serviceAccounts",
            ),
            CelRule(
                "self.accessType != 'BearerOnly' || !has(self.flows) || !("
                + " || ".join(f"(has(self.flows.{f}) && self.flows.{f})" for f in _FLOW_FLAGS)
                + ")",
                "bearer-only clients only accept tokens; remove spec.flows or set every flow to "
                "false",
                field_path=".flows",
            ),
            CelRule(
                "!has(self.serviceAccount) || (has(self.flows) "
                "&& has(self.flows.serviceAccounts) && self.flows.serviceAccounts)",
                "spec.serviceAccount needs spec.flows.serviceAccounts: true",
                field_path=".serviceAccount",
            ),
            CelRule(
                "!has(self.credentialsSecret) || !has(self.credentialsSecret.existingSecret) "
                "|| self.accessType == 'Confidential'",
                "only Confidential clients have a client secret; remove "
                "credentialsSecret.existingSecret",
                field_path=".credentialsSecret.existingSecret",
            ),
            CelRule(
                "!has(self.credentialsSecret) || !has(self.credentialsSecret.existingSecret) "
                "|| !has(self.clientAuthentication) "
                "|| self.clientAuthentication.method in ['ClientSecret', 'ClientSecretJwt']",
                "credentialsSecret.existingSecret is a client secret; the client authenticates "
                "with clientAuthentication.method, which uses none",
                field_path=".credentialsSecret.existingSecret",
            ),
            CelRule(
                "!has(self.clientAuthentication) || (self.accessType == 'Confidential' "
                "&& self.protocol == 'openid-connect')",
                "clientAuthentication is for Confidential openid-connect clients",
                field_path=".clientAuthentication",
            ),
            CelRule(
                "!has(self.flows) || !has(self.flows.ciba) || !self.flows.ciba "
                "|| self.accessType == 'Confidential'",
                "the CIBA grant needs accessType: Confidential",
                field_path=".flows.ciba",
            ),
            CelRule(
                "has(self.saml) == (self.protocol == 'saml')",
                "spec.saml is for protocol: saml clients, and a saml client needs spec.saml",
                field_path=".saml",
            ),
            CelRule(
                "self.protocol != 'saml' || (self.accessType == 'Confidential' "
                + "".join(
                    f"&& !has(self.{f}) "
                    for f in (
                        "flows",
                        "pkceMethod",
                        "serviceAccount",
                        "logout",
                        "tokens",
                        "postLogoutRedirectUris",
                        "webOrigins",
                    )
                )
                + ")",
                "SAML clients take their settings in spec.saml: remove accessType, flows, "
                "pkceMethod, serviceAccount, logout, tokens, postLogoutRedirectUris and "
                "webOrigins",
            ),
            CelRule(
                "self.protocol != 'saml' || !has(self.saml.masterSamlProcessingUrl) "
                "|| !has(self.adminUrl)",
                "set saml.masterSamlProcessingUrl or adminUrl, not both (Keycloak keeps "
                "them in one field)",
                field_path=".adminUrl",
            ),
            AUTHORIZATION_RULE,
            *ROTATION_RULES,
        )
    )

    realm_ref: RealmReference = Field(
        description=(
            "The KeycloakRealm this client belongs to. Immutable. A realm in another namespace "
            "must grant this namespace in its spec.clientAuthorizationGrants."
        ),
        json_schema_extra=immutable("realmRef"),
    )
    client_id: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        # Keycloak refuses a NUL in any query parameter (HTTP 400), so a client named
        # with one could be neither found, created nor deleted: refused here.
        pattern=r"^[^\x00]+$",
        description="The client's clientId in Keycloak (the OAuth client_id). Immutable.",
        json_schema_extra=immutable("clientId"),
    )
    name: str | None = Field(
        default=None, max_length=MAX_NAME, description="Display name on consent and account pages."
    )
    description: str | None = Field(
        # A VARCHAR(255) column in Keycloak (longer: HTTP 500).
        default=None,
        max_length=MAX_NAME,
        description="A description shown in Keycloak.",
    )
    enabled: bool = Field(default=True, description="The client can be used.")
    protocol: Literal["openid-connect", "saml"] = Field(
        default="openid-connect",
        description="openid-connect or saml (then spec.saml holds its settings). Immutable.",
        json_schema_extra=immutable("protocol"),
    )
    access_type: AccessType = Field(
        default=AccessType.CONFIDENTIAL,
        description=(
            "Confidential: has a client secret. Public: no secret (browser and native apps; "
            "use PKCE). BearerOnly: only accepts tokens, never obtains them."
        ),
    )
    flows: ClientFlows | None = Field(default=None, description="Which flows the client may use.")
    consent_required: bool | None = Field(
        default=None, description="Users must grant consent to the client."
    )
    consent: Consent | None = Field(default=None, description="The consent screen.")
    always_display_in_console: bool | None = Field(
        default=None,
        description="List the client in the account console even without a session with it.",
    )
    full_scope_allowed: bool | None = Field(
        default=None,
        description=(
            "Tokens carry all of the user's roles (true, Keycloak's default) or only the "
            "roles in the client's scope (false)."
        ),
    )
    client_authentication: ClientAuthentication | None = Field(
        default=None,
        description="How a Confidential client authenticates. Unset: ClientSecret.",
    )
    logout: Logout | None = Field(
        default=None, description="Front- and back-channel logout (OIDC)."
    )
    tokens: TokenSettings | None = Field(
        default=None, description="Per-client token and session lifetimes and algorithms."
    )
    authentication_flow_overrides: FlowOverrides | None = Field(
        default=None,
        description=(
            "Flows this client uses instead of the realm's, by alias. Unset: not managed. "
            "Authoritative when set: overrides not listed are removed."
        ),
    )
    saml: SamlSettings | None = Field(
        default=None, description="SAML settings; required with protocol: saml, else refused."
    )
    root_url: ColumnUrl | None = Field(
        default=None, description="The URL relative redirect and base URLs are resolved against."
    )
    base_url: ColumnUrl | None = Field(
        default=None, description="Where Keycloak links to the application (e.g. account console)."
    )
    admin_url: ColumnUrl | None = Field(
        default=None, description="The application's back-channel admin endpoint."
    )
    redirect_uris: list[ColumnUrl] | None = _uri_list(
        "Valid redirect URIs after login; a trailing * is a prefix match. A bare '*' is "
        "refused. So is a '*' in the host. For SAML clients: the allowed ACS URLs.",
        "redirectUris",
        "redirectUris must not contain a bare '*', which lets any site receive tokens; list the "
        "application's URIs (a prefix such as https://app.example.com/* is allowed)",
    )
    post_logout_redirect_uris: list[Url] | None = _uri_list(
        "Valid redirect URIs after logout ('+': the redirect URIs). A bare '*' is refused. "
        "So is a '*' in the host.",
        "postLogoutRedirectUris",
        "postLogoutRedirectUris must not contain a bare '*'; list the application's URIs",
    )
    web_origins: list[ColumnUrl] | None = _uri_list(
        "Allowed CORS origins ('+': the redirect URIs' origins). A bare '*' is refused. So "
        "is a '*' in the host.",
        "webOrigins",
        "webOrigins must not contain a bare '*', which allows any site; list the origins or "
        "use '+' for the redirect URIs' origins",
    )
    pkce_method: PkceMethod | None = Field(
        default=None,
        description="Require PKCE with this method (S256 recommended). Unset: not required.",
    )
    attributes: dict[str, Annotated[str, Field(max_length=MAX_TEXT)]] | None = Field(
        default=None,
        description=(
            "Other Keycloak client attributes. Only the listed keys are managed; typed fields "
            "take precedence."
        ),
    )
    protocol_mappers: list[ProtocolMapper] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            "Protocol mappers of this client (of its protocol: oidc-* or saml-* types). Unset: "
            "not managed. Authoritative: when set, mappers not listed are removed. Script "
            "mappers need a realm grant with allowScriptMappers."
        ),
        json_schema_extra=list_map("name"),
    )
    roles: list[Role] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            "Client roles, with composites. Unset: not managed. Owned-only: roles this "
            "resource created and that are no longer listed are removed; roles made elsewhere "
            "are left alone. A role's composites are authoritative when set."
        ),
        json_schema_extra=list_map("name"),
    )
    default_client_scopes: list[Annotated[str, Field(max_length=MAX_NAME)]] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            "Client scopes always included in tokens. Unset: not managed; the client keeps "
            "the realm's default scopes as they were when the client was created (the "
            "controller creates it after its KeycloakRealm has been reconciled); later "
            "changes to the realm's defaults do not reach existing clients, as in Keycloak. "
            "Authoritative: when set, default scopes not listed are detached."
        ),
        json_schema_extra=_list_set(),
    )
    optional_client_scopes: list[Annotated[str, Field(max_length=MAX_NAME)]] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            "Client scopes included on request. Unset: not managed; the realm's optional "
            "scopes at the client's creation (later changes to the realm's do not reach "
            "existing clients, as in Keycloak). Authoritative: when set, optional scopes "
            "not listed are detached."
        ),
        json_schema_extra=_list_set(),
    )
    service_account: ServiceAccount | None = Field(
        default=None,
        description=(
            "Roles and groups of the client's service account (needs flows.serviceAccounts). "
            "Admin roles (realm-management, including impersonation) need a grant with "
            "allowAdminRoles on the realm. Authoritative: realm roles not listed are removed "
            "(except default-roles-<realm>); client roles not listed are removed for each "
            "client listed, other clients' roles are left alone."
        ),
    )
    credentials_secret: CredentialsSecret | None = Field(
        default=None,
        description=(
            "The Secret with the client's credentials and endpoints. Unset: a Secret named "
            "<metadata.name>-credentials."
        ),
    )
    authorization: ClientAuthorization | None = Field(
        default=None,
        description=(
            "Authorization services: resources, scopes, policies and permissions (see "
            "docs/client-authorization.md). Unset: not managed."
        ),
    )

    def effective_flows(self) -> EffectiveFlows:
        """The flow flags to write to Keycloak: the spec's, else the access type's defaults."""
        flows = self.flows or ClientFlows()
        bearer = self.access_type is AccessType.BEARER_ONLY
        return EffectiveFlows(
            standard=flows.standard if flows.standard is not None else not bearer,
            implicit=bool(flows.implicit),
            direct_access_grants=bool(flows.direct_access_grants),
            service_accounts=bool(flows.service_accounts),
            device_authorization=bool(flows.device_authorization),
            ciba=flows.ciba,
        )

    def authentication_method(self) -> ClientAuthMethod | None:
        """How the client authenticates; None for clients that have no credentials."""
        if self.access_type is not AccessType.CONFIDENTIAL or self.protocol == "saml":
            return None
        auth = self.client_authentication
        return auth.method if auth is not None else ClientAuthMethod.CLIENT_SECRET

    def uses_client_secret(self) -> bool:
        return self.authentication_method() in (
            ClientAuthMethod.CLIENT_SECRET,
            ClientAuthMethod.CLIENT_SECRET_JWT,
        )

    def script_mappers(self) -> list[str]:
        """Names of the mappers that run scripts (refused without the realm's grant)."""
        return [m.name for m in self.protocol_mappers or () if is_script_mapper(m.protocol_mapper)]

    def secret_refs(self) -> Iterator[SecretKeySelector]:
        """Every Secret key this client reads (for the Secret index and watch)."""
        if self.credentials_secret and self.credentials_secret.existing_secret:
            yield self.credentials_secret.existing_secret
        auth = self.client_authentication
        if auth is not None and auth.certificate_secret_ref is not None:
            yield auth.certificate_secret_ref
        if self.saml is not None:
            for ref in (
                self.saml.signing_certificate_secret_ref,
                self.saml.encryption_certificate_secret_ref,
            ):
                if ref is not None:
                    yield ref

    def credentials_secret_name(self, object_name: str) -> str:
        """The credentials Secret's name for a KeycloakClient called `object_name`."""
        if self.credentials_secret and self.credentials_secret.name:
            return self.credentials_secret.name
        return f"{object_name}-credentials"


class KeycloakClientStatus(ResourceStatus):
    """The client's observed state."""

    client_uuid: str | None = Field(default=None, description="The client's internal id.")
    realm_name: str | None = Field(default=None, description="The realm's name in Keycloak.")
    credentials_secret_name: str | None = Field(
        default=None, description="The Secret that holds the client's credentials."
    )
    service_account_user_id: str | None = Field(
        default=None, description="The service account user's id, when enabled."
    )
    credentials: CredentialsStatus | None = Field(
        default=None, description="The client secret's last rotation (times, never values)."
    )


class KeycloakClient(CustomResource):
    """An OIDC or SAML client in a realm, with a credentials Secret in this namespace."""

    names: ClassVar[ResourceNames] = ResourceNames(
        kind="KeycloakClient",
        plural="keycloakclients",
        singular="keycloakclient",
        short_names=("kcclient",),
    )
    printer_columns: ClassVar[tuple[PrinterColumn, ...]] = (
        PrinterColumn(
            name="ClientID", json_path=".spec.clientId", description="The client's clientId."
        ),
        PrinterColumn(
            name="Realm",
            json_path=".spec.realmRef.name",
            description="The KeycloakRealm object this client belongs to.",
        ),
        *READY_COLUMNS,
        *TRAILING_COLUMNS,
    )

    kind: Literal["KeycloakClient"] = "KeycloakClient"
    spec: KeycloakClientSpec
    status: KeycloakClientStatus = Field(default_factory=KeycloakClientStatus)
