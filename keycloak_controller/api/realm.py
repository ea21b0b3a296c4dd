"""`KeycloakRealm`: one realm on a Keycloak server.

Layers, as in the spec: placement (`keycloakRef`), identity (`realmName`,
immutable), Kubernetes integrations (the SMTP password Secret, namespace
grants) and typed core settings grouped by topic. Unset settings are not
managed. Later topics (groups, client scopes, identity providers, flows,
required actions, user federation, organizations, client policies) become new
optional fields here or kinds of their own; nothing existing has to move.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Annotated, ClassVar, Literal

from pydantic import ConfigDict, Field

from .base import (
    INT32_MAX,
    MAX_LIST,
    MAX_NAME,
    MAX_TEXT,
    MAX_URL,
    SpecModel,
    cel,
    immutable,
    list_map,
    list_set,
)
from .base import Rule as CelRule
from .common import (
    READY_COLUMNS,
    TRAILING_COLUMNS,
    CustomResource,
    KeycloakReference,
    ManagedObjectSpec,
    NamespaceSelection,
    PrinterColumn,
    ResourceNames,
    ResourceStatus,
    SecretKeySelector,
)
from .realm_client_policies import (
    ClientPolicies,
    client_policies_field,
    client_policies_secret_refs,
)
from .realm_components import (
    Component,
    KeyProvider,
    components_field,
    components_secret_refs,
    key_providers_field,
)
from .realm_federation import UserFederation, user_federation_field, user_federation_secret_refs
from .realm_flows import (
    AuthenticationFlow,
    FlowBindings,
    authentication_flows_field,
    flow_bindings_field,
)
from .realm_groups import (
    DEFAULT_GROUPS_DESCRIPTION,
    DEFAULT_GROUPS_EXTRA,
    DEFAULT_ROLES_DESCRIPTION,
    GROUPS_DESCRIPTION,
    GROUPS_EXTRA,
    DefaultRoles,
    Group,
    GroupPath,
)
from .realm_identity_providers import (
    IdentityProvider,
    identity_providers_field,
    identity_providers_secret_refs,
)
from .realm_organizations import (
    Organization,
    organizations_enabled_field,
    organizations_field,
)
from .realm_policies import (
    BrowserSecurityHeaders,
    OtpPolicy,
    PasswordPolicies,
    WebAuthnPasswordlessPolicy,
    WebAuthnPolicy,
)
from .realm_required_actions import RequiredAction, required_actions_field
from .realm_scopes import (  # scopes helper
    CLIENT_SCOPES_DESCRIPTION,
    ClientScope,
    ScopeNames,
    scope_names_field,
)
from .realm_settings import AdditionalSettings, additional_settings_field
from .realm_user_profile import USER_PROFILE_DESCRIPTION, UserProfile
from .roles import Role

Seconds = Annotated[int, Field(ge=0, le=INT32_MAX, json_schema_extra={"format": "int32"})]
Count = Annotated[int, Field(ge=0, le=INT32_MAX, json_schema_extra={"format": "int32"})]
ShortText = Annotated[str, Field(max_length=MAX_NAME)]


class LoginSettings(SpecModel):
    """What the login pages offer."""

    registration_allowed: bool | None = Field(
        default=None, description="Users may register themselves."
    )
    registration_email_as_username: bool | None = Field(
        default=None, description="The email address is the username."
    )
    remember_me: bool | None = Field(
        default=None, description="Offer 'remember me' (longer sessions, see sessions)."
    )
    verify_email: bool | None = Field(
        default=None, description="Users must verify their email address."
    )
    login_with_email_allowed: bool | None = Field(
        default=None, description="Users may log in with their email address."
    )
    duplicate_emails_allowed: bool | None = Field(
        default=None, description="Several users may share an email address."
    )
    reset_password_allowed: bool | None = Field(
        default=None, description="Offer 'forgot password'."
    )
    edit_username_allowed: bool | None = Field(
        default=None, description="Users may change their username."
    )


class SslRequired(enum.StrEnum):
    """When Keycloak requires HTTPS."""

    NONE = "none"
    EXTERNAL = "external"
    ALL = "all"


class BruteForceDetection(SpecModel):
    """Temporary or permanent lockout after repeated login failures."""

    enabled: bool | None = Field(default=None, description="Detect brute-force attacks.")
    permanent_lockout: bool | None = Field(
        default=None, description="Lock users out permanently instead of temporarily."
    )
    max_temporary_lockouts: Count | None = Field(
        default=None,
        description="Temporary lockouts before a permanent one (Keycloak 24+; 0: no limit).",
    )
    failure_factor: Count | None = Field(
        default=None, description="Login failures before a lockout."
    )
    wait_increment_seconds: Seconds | None = Field(
        default=None, description="How much each lockout lengthens the wait, in seconds."
    )
    max_failure_wait_seconds: Seconds | None = Field(
        default=None, description="The longest temporary lockout, in seconds."
    )
    minimum_quick_login_wait_seconds: Seconds | None = Field(
        default=None, description="Lockout after failures in quick succession, in seconds."
    )
    quick_login_check_milli_seconds: Annotated[int, Field(ge=0)] | None = Field(
        default=None,
        description="Failures closer together than this many milliseconds count as quick.",
        json_schema_extra={"format": "int64"},
    )
    max_delta_time_seconds: Seconds | None = Field(
        default=None, description="When the failure count resets, in seconds."
    )


class SecuritySettings(SpecModel):
    """Transport security and brute-force protection."""

    ssl_required: SslRequired | None = Field(
        default=None,
        description="none, external (HTTPS except from private addresses) or all.",
    )
    brute_force_detection: BruteForceDetection | None = Field(
        default=None, description="Lockout after repeated login failures."
    )


class TokenSettings(SpecModel):
    """Token lifetimes and refresh-token rotation."""

    access_token_lifespan: Seconds | None = Field(
        default=None, description="Access token lifetime, in seconds."
    )
    access_token_lifespan_for_implicit_flow: Seconds | None = Field(
        default=None, description="Access token lifetime in the implicit flow, in seconds."
    )
    access_code_lifespan: Seconds | None = Field(
        default=None, description="Authorization code lifetime, in seconds."
    )
    access_code_lifespan_login: Seconds | None = Field(
        default=None, description="How long a user may take to log in, in seconds."
    )
    access_code_lifespan_user_action: Seconds | None = Field(
        default=None, description="How long a user may take for a required action, in seconds."
    )
    action_token_generated_by_user_lifespan: Seconds | None = Field(
        default=None, description="Lifetime of user-requested action links, in seconds."
    )
    action_token_generated_by_admin_lifespan: Seconds | None = Field(
        default=None, description="Lifetime of admin-sent action links, in seconds."
    )
    default_signature_algorithm: ShortText | None = Field(
        default=None, description="Token signature algorithm, e.g. RS256 or ES256."
    )
    revoke_refresh_token: bool | None = Field(
        default=None, description="Refresh tokens can be used only refreshTokenMaxReuse+1 times."
    )
    refresh_token_max_reuse: Count | None = Field(
        default=None, description="Reuses allowed when revokeRefreshToken is true."
    )


class SessionSettings(SpecModel):
    """SSO, offline and client session lifetimes."""

    sso_session_idle_timeout: Seconds | None = Field(
        default=None, description="SSO session idle timeout, in seconds."
    )
    sso_session_max_lifespan: Seconds | None = Field(
        default=None, description="SSO session maximum lifetime, in seconds."
    )
    sso_session_idle_timeout_remember_me: Seconds | None = Field(
        default=None, description="Idle timeout with 'remember me', in seconds (0: as above)."
    )
    sso_session_max_lifespan_remember_me: Seconds | None = Field(
        default=None, description="Maximum lifetime with 'remember me', in seconds (0: as above)."
    )
    offline_session_idle_timeout: Seconds | None = Field(
        default=None, description="Offline session idle timeout, in seconds."
    )
    offline_session_max_lifespan_enabled: bool | None = Field(
        default=None, description="Limit offline sessions to offlineSessionMaxLifespan."
    )
    offline_session_max_lifespan: Seconds | None = Field(
        default=None, description="Offline session maximum lifetime, in seconds."
    )
    client_session_idle_timeout: Seconds | None = Field(
        default=None, description="Client session idle timeout, in seconds (0: SSO's)."
    )
    client_session_max_lifespan: Seconds | None = Field(
        default=None, description="Client session maximum lifetime, in seconds (0: SSO's)."
    )
    client_offline_session_idle_timeout: Seconds | None = Field(
        default=None, description="Client offline session idle timeout, in seconds (0: realm's)."
    )
    client_offline_session_max_lifespan: Seconds | None = Field(
        default=None,
        description="Client offline session maximum lifetime, in seconds (0: realm's).",
    )


class Themes(SpecModel):
    """Theme names; each must be installed on the server."""

    login: ShortText | None = Field(default=None, description="Login pages theme.")
    account: ShortText | None = Field(default=None, description="Account console theme.")
    admin: ShortText | None = Field(default=None, description="Admin console theme.")
    email: ShortText | None = Field(default=None, description="Email theme.")


Locale = Annotated[
    str, Field(min_length=2, max_length=35, pattern=r"^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*$")
]


class Localization(SpecModel):
    """Languages offered by the realm's pages and emails."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                "!has(self.defaultLocale) || !has(self.supportedLocales) "
                "|| self.defaultLocale in self.supportedLocales",
                "defaultLocale must be one of supportedLocales",
                field_path=".defaultLocale",
            )
        )
    )

    enabled: bool | None = Field(
        default=None, description="Enable internationalization (Keycloak's flag)."
    )
    supported_locales: list[Locale] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description="Locales users can choose, e.g. [en, de].",
        json_schema_extra=list_set(),
    )
    default_locale: Locale | None = Field(default=None, description="The default locale.")
    messages: dict[str, dict[str, Annotated[str, Field(max_length=MAX_TEXT)]]] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            "The realm's own message texts per locale, overriding the theme's, e.g. "
            "{en: {loginTitle: 'Welcome'}}. Unset: not managed. Authoritative per listed "
            "locale: when a locale is listed, its texts not listed are removed; locales not "
            "listed are left alone."
        ),
    )


class SmtpAuth(SpecModel):
    """SMTP login; the password comes from a Secret."""

    username: str = Field(min_length=1, max_length=MAX_NAME, description="SMTP username.")
    password_secret_ref: SecretKeySelector = Field(
        description="The Secret key that holds the SMTP password."
    )


class SmtpSettings(SpecModel):
    """The mail server Keycloak sends email through."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                "!(self.ssl && self.starttls)",
                "choose either ssl (implicit TLS, usually port 465) or starttls (usually 587)",
                field_path=".starttls",
            )
        )
    )

    host: str = Field(min_length=1, max_length=MAX_NAME, description="SMTP server host name.")
    port: int = Field(
        default=25,
        ge=1,
        le=65535,
        description="SMTP server port.",
        json_schema_extra={"format": "int32"},
    )
    from_: str = Field(
        alias="from",
        min_length=3,
        max_length=MAX_NAME,
        description="Sender address, e.g. no-reply@example.com.",
    )
    from_display_name: ShortText | None = Field(default=None, description="Sender display name.")
    reply_to: ShortText | None = Field(default=None, description="Reply-To address.")
    reply_to_display_name: ShortText | None = Field(
        default=None, description="Reply-To display name."
    )
    envelope_from: ShortText | None = Field(default=None, description="Envelope (bounce) address.")
    ssl: bool = Field(default=False, description="Implicit TLS (SMTPS).")
    starttls: bool = Field(default=False, description="Upgrade to TLS with STARTTLS.")
    auth: SmtpAuth | None = Field(
        default=None, description="Log in to the SMTP server. Unset: no authentication."
    )


class EventSettings(SpecModel):
    """Login (user) events and admin events."""

    enabled: bool | None = Field(default=None, description="Store user events.")
    expiration: Seconds | None = Field(
        default=None, description="How long user events are kept, in seconds."
    )
    enabled_event_types: list[ShortText] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description="User event types to store, e.g. [LOGIN, LOGIN_ERROR]. Empty: all.",
        json_schema_extra=list_set(),
    )
    listeners: list[ShortText] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description="Event listener providers, e.g. [jboss-logging].",
        json_schema_extra=list_set(),
    )
    admin_events_enabled: bool | None = Field(default=None, description="Store admin events.")
    admin_events_details_enabled: bool | None = Field(
        default=None, description="Include the request representation in admin events."
    )


class ClientAuthorizationGrant(NamespaceSelection):
    """Namespaces whose KeycloakClients may attach to this realm, and what they may do."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                "has(self.namespaces) || has(self.namespaceSelector)",
                "set namespaces and/or namespaceSelector",
            )
        )
    )

    allow_admin_roles: bool = Field(
        default=False,
        description=(
            "Allow these clients' service accounts to hold administrative roles "
            "(realm-management client roles such as realm-admin or manage-users). Refused "
            "by default, because such a client can take over the realm."
        ),
    )
    allow_script_mappers: bool = Field(
        default=False,
        description=(
            "Allow these clients script protocol mappers (oidc-script-based-protocol-mapper, "
            "saml-javascript-mapper, script-*) and JavaScript authorization policies, which "
            "run code inside Keycloak. Refused by default."
        ),
    )


class KeycloakRealmSpec(ManagedObjectSpec):
    """The desired realm. Unset settings are left as Keycloak has them."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                "self.realmName != 'master' || self.deletionPolicy == 'Retain'",
                "the master realm cannot be deleted; set deletionPolicy: Retain",
                field_path=".deletionPolicy",
            ),
            CelRule(
                "!(has(self.passwordPolicy) && has(self.passwordPolicies))",
                "set either passwordPolicy (the raw expression) or passwordPolicies, not both",
                field_path=".passwordPolicies",
            ),
        )
    )

    keycloak_ref: KeycloakReference = Field(
        description=(
            "The Keycloak server this realm lives on. Immutable. Another namespace's Keycloak "
            "must list this namespace in its spec.realmNamespaces."
        ),
        json_schema_extra=immutable("keycloakRef"),
    )
    realm_name: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        # No NUL: Keycloak takes a realm named with one only part-way (the fuzzed one was
        # refused mid-creation), and then fails every delete of it with an HTTP 500.
        pattern=r"^[^\s/\\\x00]+$",
        description="The realm's name in Keycloak (its id in URLs). Immutable.",
        json_schema_extra=immutable("realmName"),
    )
    display_name: str | None = Field(
        default=None, max_length=MAX_NAME, description="Name shown on the login pages."
    )
    display_name_html: str | None = Field(
        default=None, max_length=MAX_TEXT, description="HTML name shown on the login pages."
    )
    enabled: bool = Field(default=True, description="Users can log in to the realm.")
    login: LoginSettings | None = Field(default=None, description="Login and registration.")
    security: SecuritySettings | None = Field(
        default=None, description="HTTPS requirement and brute-force detection."
    )
    tokens: TokenSettings | None = Field(default=None, description="Token lifetimes.")
    sessions: SessionSettings | None = Field(default=None, description="Session lifetimes.")
    themes: Themes | None = Field(default=None, description="Themes.")
    localization: Localization | None = Field(default=None, description="Languages.")
    smtp: SmtpSettings | None = Field(default=None, description="Outgoing email.")
    events: EventSettings | None = Field(default=None, description="User and admin events.")
    password_policy: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        description=(
            "Keycloak's password policy expression, e.g. "
            "'length(12) and notUsername() and passwordHistory(3)'. Empty: no policy."
        ),
    )
    attributes: dict[str, Annotated[str, Field(max_length=MAX_TEXT)]] | None = Field(
        default=None,
        description=(
            "Realm attributes. Only the listed keys are managed; other attributes are kept."
        ),
    )
    roles: list[Role] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            "Realm roles, with composites. Unset: not managed. Owned-only: roles this resource "
            "created and that are no longer listed are removed; others are left alone. A role's "
            "composites are authoritative when set."
        ),
        json_schema_extra=list_map("name"),
    )
    # --- settings and policies (realm settings helper) ---
    password_policies: PasswordPolicies | None = Field(
        default=None,
        description=(
            "The password policy as typed rules (instead of passwordPolicy, the raw "
            "expression; set one of them). Unset: not managed."
        ),
    )
    otp_policy: OtpPolicy | None = Field(
        default=None, description="One-time password policy. Unset: not managed."
    )
    web_authn_policy: WebAuthnPolicy | None = Field(
        default=None, description="WebAuthn policy (two-factor). Unset: not managed."
    )
    web_authn_passwordless_policy: WebAuthnPasswordlessPolicy | None = Field(
        default=None,
        description="WebAuthn passwordless policy (passkeys). Unset: not managed.",
    )
    browser_security_headers: BrowserSecurityHeaders | None = Field(
        default=None,
        description=(
            "HTTP security headers. Additive: the listed headers are kept equal; a header no "
            "longer listed keeps its value in Keycloak. Unset: not managed."
        ),
    )
    frontend_url: Annotated[str, Field(max_length=MAX_URL)] | None = Field(
        default=None,
        description=(
            "The realm's public URL (the frontendUrl attribute), e.g. "
            "https://login.example.com; empty: the server's. Unset: not managed."
        ),
    )
    additional_settings: AdditionalSettings | None = additional_settings_field()
    # --- groups, default groups, default roles, user profile (groups helper) ---
    groups: list[Group] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=GROUPS_DESCRIPTION,
        json_schema_extra=GROUPS_EXTRA,
    )
    default_groups: list[GroupPath] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=DEFAULT_GROUPS_DESCRIPTION,
        json_schema_extra=DEFAULT_GROUPS_EXTRA,
    )
    default_roles: DefaultRoles | None = Field(default=None, description=DEFAULT_ROLES_DESCRIPTION)
    user_profile: UserProfile | None = Field(default=None, description=USER_PROFILE_DESCRIPTION)
    # --- client scopes, scope mappings, required actions, organizations (scopes helper) ---
    client_scopes: list[ClientScope] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=CLIENT_SCOPES_DESCRIPTION,
        json_schema_extra=list_map("name"),
    )
    default_client_scopes: ScopeNames | None = scope_names_field("default")
    optional_client_scopes: ScopeNames | None = scope_names_field("optional")
    required_actions: list[RequiredAction] | None = required_actions_field()
    organizations_enabled: bool | None = organizations_enabled_field()
    organizations: list[Organization] | None = organizations_field()
    # How users log in (part 2 of the realm).
    authentication_flows: list[AuthenticationFlow] | None = authentication_flows_field()
    flow_bindings: FlowBindings | None = flow_bindings_field()
    identity_providers: list[IdentityProvider] | None = identity_providers_field()
    user_federation: UserFederation | None = user_federation_field()
    key_providers: list[KeyProvider] | None = key_providers_field()
    components: list[Component] | None = components_field()
    client_policies: ClientPolicies | None = client_policies_field()
    client_authorization_grants: list[ClientAuthorizationGrant] | None = Field(
        default=None,
        max_length=64,
        description=(
            "Namespaces whose KeycloakClients may attach to this realm. KeycloakClients in "
            "this realm's own namespace are always allowed (without admin roles)."
        ),
    )

    def secret_refs(self) -> Iterator[SecretKeySelector]:
        """Every Secret key the realm reads, for the Secret index and watch."""
        if self.smtp is not None and self.smtp.auth is not None:
            yield self.smtp.auth.password_secret_ref
        yield from identity_providers_secret_refs(self.identity_providers)
        yield from user_federation_secret_refs(self.user_federation)
        yield from components_secret_refs(self)
        yield from client_policies_secret_refs(self.client_policies)

    def allows_client(self, namespace: str, labels: dict[str, str], own_namespace: str) -> bool:
        """Whether a KeycloakClient in `namespace` may attach to this realm."""
        if namespace == own_namespace:
            return True
        return any(g.matches(namespace, labels) for g in self.client_authorization_grants or ())

    def allows_script_mappers(self, namespace: str, labels: dict[str, str]) -> bool:
        """Whether a KeycloakClient in `namespace` may have script protocol mappers."""
        return any(
            g.allow_script_mappers and g.matches(namespace, labels)
            for g in self.client_authorization_grants or ()
        )

    def allows_admin_roles(self, namespace: str, labels: dict[str, str]) -> bool:
        """Whether a KeycloakClient in `namespace` may give its service account admin roles."""
        return any(
            g.allow_admin_roles and g.matches(namespace, labels)
            for g in self.client_authorization_grants or ()
        )


class KeycloakRealmStatus(ResourceStatus):
    """The realm's observed state."""

    realm_id: str | None = Field(default=None, description="The realm's internal id in Keycloak.")
    keycloak_version: str | None = Field(
        default=None, description="The Keycloak server version the realm was last synced with."
    )
    adopted: dict[str, list[str]] | None = Field(
        default=None,
        description=(
            "With adoptExisting: the listed children of owned-only lists (by list, their "
            "keys) that were taken over as they were, without this resource's owner tag. "
            "Adoption writes nothing to Keycloak, so this record is what makes such a child "
            "removed when it is no longer listed, like one this resource created."
        ),
    )
    adopted_digests: dict[str, str] | None = Field(
        default=None,
        description=(
            "With adoptExisting: salted digests of the Secret values that adoption took "
            "Keycloak to hold (Keycloak masks them on read), by field path, until the first "
            "write records them in Keycloak. A Secret changed before then differs from its "
            "digest here and is sent."
        ),
    )


class KeycloakRealm(CustomResource):
    """A realm in a Keycloak server: settings, realm roles, and who may add clients."""

    names: ClassVar[ResourceNames] = ResourceNames(
        kind="KeycloakRealm",
        plural="keycloakrealms",
        singular="keycloakrealm",
        short_names=("kcrealm",),
    )
    printer_columns: ClassVar[tuple[PrinterColumn, ...]] = (
        PrinterColumn(
            name="Realm", json_path=".spec.realmName", description="The realm's name in Keycloak."
        ),
        *READY_COLUMNS,
        *TRAILING_COLUMNS,
    )

    kind: Literal["KeycloakRealm"] = "KeycloakRealm"
    spec: KeycloakRealmSpec
    status: KeycloakRealmStatus = Field(default_factory=KeycloakRealmStatus)
