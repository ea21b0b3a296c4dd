"""`spec.authorization` of a KeycloakClient: Keycloak authorization services.

The client becomes a resource server: its scopes, resources, policies (who)
and permissions (which policies protect which resources and scopes). Every
reference is by name (roles, groups by path, users by username, clients by
clientId, and this client's own policies, resources and scopes); the
controller resolves them to ids. Each list is authoritative when set, which
also removes the "Default Resource", "Default Policy" (a JavaScript policy
that grants everyone) and "Default Permission" Keycloak 24 to 26.0 create
with authorization services, unless they are listed.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from .base import MAX_LIST, MAX_NAME, MAX_TEXT, MAX_URL, SpecModel, cel, exactly_one
from .base import Rule as CelRule
from .base import list_map as _list_map
from .base import list_set as _list_set

Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
Text = Annotated[str, Field(max_length=MAX_TEXT)]

# Keycloak keeps user-managed (UMA) sharing as policies of this type, owned by a user.
UMA_POLICY_TYPE = "uma"
SCRIPT_POLICY_PREFIX = "script-"  # the types of JavaScript policies deployed as providers

POLICY_TYPES = (
    "role",
    "group",
    "user",
    "client",
    "clientScope",
    "time",
    "regex",
    "aggregate",
    "javascript",
)


class EnforcementMode(enum.StrEnum):
    """What Keycloak decides for a request no permission covers."""

    ENFORCING = "ENFORCING"
    PERMISSIVE = "PERMISSIVE"
    DISABLED = "DISABLED"


class DecisionStrategy(enum.StrEnum):
    """How several decisions combine into one."""

    UNANIMOUS = "UNANIMOUS"
    AFFIRMATIVE = "AFFIRMATIVE"
    CONSENSUS = "CONSENSUS"


class Logic(enum.StrEnum):
    """POSITIVE: the policy's decision as is. NEGATIVE: the opposite."""

    POSITIVE = "POSITIVE"
    NEGATIVE = "NEGATIVE"


def _names(what: str) -> Any:
    return Field(default=None, max_length=MAX_LIST, description=what, json_schema_extra=_list_set())


class AuthorizationScope(SpecModel):
    """A scope: something that can be done to a resource (e.g. read, write)."""

    name: Name = Field(description="The scope's name, unique in the client.")
    display_name: str | None = Field(default=None, max_length=MAX_NAME, description="Shown name.")
    icon_uri: str | None = Field(default=None, max_length=MAX_URL, description="An icon's URI.")


class AuthorizationResource(SpecModel):
    """A protected resource of the client. Unset fields are left as Keycloak has them."""

    name: Name = Field(description="The resource's name, unique in the client.")
    display_name: str | None = Field(default=None, max_length=MAX_NAME, description="Shown name.")
    type: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description="A type (e.g. urn:app:resources:document) that typed permissions match.",
    )
    uris: list[Annotated[str, Field(min_length=1, max_length=MAX_URL)]] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description="Paths the resource covers (e.g. /documents/*), for policy enforcers.",
        json_schema_extra=_list_set(),
    )
    scopes: list[Name] | None = _names(
        "The scopes this resource has, by name; each must be in spec.authorization.scopes "
        "or already exist in the client."
    )
    owner_managed_access: bool | None = Field(
        default=None, description="The resource's owner may share it (user-managed access)."
    )
    icon_uri: str | None = Field(default=None, max_length=MAX_URL, description="An icon's URI.")
    attributes: dict[str, list[Text]] | None = Field(
        default=None, description="Attributes, all of them: keys not listed are removed."
    )


class RoleReference(SpecModel):
    name: Name = Field(
        description="A realm role, or a client role as <clientId>/<role> (e.g. app/editor)."
    )
    required: bool = Field(
        default=False, description="The user must have this role (else any listed role will do)."
    )


class RolePolicy(SpecModel):
    roles: list[RoleReference] = Field(
        min_length=1,
        max_length=MAX_LIST,
        description="Grants users with these roles.",
        json_schema_extra=_list_map("name"),
    )


class GroupReference(SpecModel):
    path: Annotated[str, Field(min_length=2, max_length=MAX_TEXT, pattern="^/")] = Field(
        description="The group's path, e.g. /staff/editors."
    )
    extend_children: bool = Field(default=False, description="Members of subgroups count too.")


class GroupPolicy(SpecModel):
    groups: list[GroupReference] = Field(
        min_length=1,
        max_length=MAX_LIST,
        description="Grants members of these groups.",
        json_schema_extra=_list_map("path"),
    )
    groups_claim: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description="Read the groups from this token claim instead of the user's memberships.",
    )


class UserPolicy(SpecModel):
    users: list[Name] = Field(
        min_length=1,
        max_length=MAX_LIST,
        description="Grants these users, by username.",
        json_schema_extra=_list_set(),
    )


class ClientPolicy(SpecModel):
    clients: list[Name] = Field(
        min_length=1,
        max_length=MAX_LIST,
        description="Grants requests from these clients, by clientId.",
        json_schema_extra=_list_set(),
    )


class ClientScopeReference(SpecModel):
    name: Name = Field(description="The client scope's name.")
    required: bool = Field(default=False, description="The token must have this scope.")


class ClientScopePolicy(SpecModel):
    client_scopes: list[ClientScopeReference] = Field(
        min_length=1,
        max_length=MAX_LIST,
        description="Grants tokens with these client scopes.",
        json_schema_extra=_list_map("name"),
    )


_TIME_FIELDS = (
    "notBefore",
    "notOnOrAfter",
    "dayMonth",
    "dayMonthEnd",
    "month",
    "monthEnd",
    "year",
    "yearEnd",
    "hour",
    "hourEnd",
    "minute",
    "minuteEnd",
)
_DATE_TIME = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"  # as Keycloak parses it


def _bounded(low: int, high: int, what: str) -> Any:
    return Field(default=None, ge=low, le=high, description=what)


class TimePolicy(SpecModel):
    """Grants within a time window (the server's clock). Set at least one bound."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                " || ".join(f"has(self.{f})" for f in _TIME_FIELDS),
                "a time policy needs at least one bound",
            ),
            *(
                CelRule(
                    f"!has(self.{end}) || has(self.{start})",
                    f"{end} needs {start}",
                    field_path=f".{end}",
                )
                for start, end in (
                    ("dayMonth", "dayMonthEnd"),
                    ("month", "monthEnd"),
                    ("year", "yearEnd"),
                    ("hour", "hourEnd"),
                    ("minute", "minuteEnd"),
                )
            ),
        )
    )

    not_before: str | None = Field(
        default=None, pattern=_DATE_TIME, description="From this time, yyyy-MM-dd HH:mm:ss."
    )
    not_on_or_after: str | None = Field(
        default=None, pattern=_DATE_TIME, description="Until this time, yyyy-MM-dd HH:mm:ss."
    )
    day_month: int | None = _bounded(1, 31, "From this day of the month.")
    day_month_end: int | None = _bounded(1, 31, "To this day of the month.")
    month: int | None = _bounded(1, 12, "From this month.")
    month_end: int | None = _bounded(1, 12, "To this month.")
    year: int | None = _bounded(1970, 9999, "From this year.")
    year_end: int | None = _bounded(1970, 9999, "To this year.")
    hour: int | None = _bounded(0, 23, "From this hour.")
    hour_end: int | None = _bounded(0, 23, "To this hour.")
    minute: int | None = _bounded(0, 59, "From this minute.")
    minute_end: int | None = _bounded(0, 59, "To this minute.")


class RegexPolicy(SpecModel):
    target_claim: Name = Field(description="The token claim (or context attribute) to match.")
    pattern: str = Field(min_length=1, max_length=MAX_TEXT, description="A Java regex.")
    target_context_attributes: bool = Field(
        default=False,
        description="Match an attribute of the evaluation context instead of a token claim.",
    )


class AggregatePolicy(SpecModel):
    policies: list[Name] = Field(
        min_length=1,
        max_length=MAX_LIST,
        description="Other policies of this client, by name.",
        json_schema_extra=_list_set(),
    )
    decision_strategy: DecisionStrategy = Field(
        default=DecisionStrategy.UNANIMOUS, description="How their decisions combine."
    )


class JavaScriptPolicy(SpecModel):
    provider_id: str = Field(
        min_length=len(SCRIPT_POLICY_PREFIX) + 1,
        max_length=MAX_NAME,
        pattern=f"^{SCRIPT_POLICY_PREFIX}",
        description="The policy type of a script deployed in Keycloak's providers, e.g. "
        "script-my-policy.js.",
    )


class AuthorizationPolicy(SpecModel):
    """A policy: a condition that grants (POSITIVE) or denies (NEGATIVE). Set exactly one type."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                exactly_one(*POLICY_TYPES),
                "set exactly one policy type: " + ", ".join(POLICY_TYPES),
            )
        )
    )

    name: Name = Field(description="The policy's name, unique among the client's policies.")
    description: str | None = Field(default=None, max_length=MAX_TEXT, description="Shown text.")
    logic: Logic = Field(default=Logic.POSITIVE, description="NEGATIVE inverts the decision.")
    role: RolePolicy | None = Field(default=None, description="By the user's roles.")
    group: GroupPolicy | None = Field(default=None, description="By the user's groups.")
    user: UserPolicy | None = Field(default=None, description="By username.")
    client: ClientPolicy | None = Field(default=None, description="By the requesting client.")
    client_scope: ClientScopePolicy | None = Field(
        default=None, description="By the token's client scopes."
    )
    time: TimePolicy | None = Field(default=None, description="By date and time.")
    regex: RegexPolicy | None = Field(default=None, description="By a claim matching a regex.")
    aggregate: AggregatePolicy | None = Field(
        default=None, description="By other policies' decisions."
    )
    javascript: JavaScriptPolicy | None = Field(
        default=None,
        description=(
            "By a deployed JavaScript policy. Runs code inside Keycloak: refused unless the "
            "realm grants this namespace allowScriptMappers."
        ),
    )

    def kind(self) -> str:
        """Which of the typed fields is set."""
        return next(t for t in POLICY_TYPES if getattr(self, _snake(t)) is not None)


def _snake(camel: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in camel)


class AuthorizationPermission(SpecModel):
    """Which policies decide access to which resources or scopes.

    Resource-based: `resources` or `resourceType`. Scope-based: `scopes`, optionally
    on one `resource`.
    """

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                "has(self.scopes) ? !has(self.resources) && !has(self.resourceType) : "
                + exactly_one("resources", "resourceType"),
                "set resources or resourceType (a resource permission), or scopes with an "
                "optional resource (a scope permission)",
            ),
            CelRule(
                "!has(self.resource) || has(self.scopes)",
                "resource narrows a scope permission; set scopes, or use resources",
                field_path=".resource",
            ),
        )
    )

    name: Name = Field(description="The permission's name, unique among the client's policies.")
    description: str | None = Field(default=None, max_length=MAX_TEXT, description="Shown text.")
    resources: list[Name] | None = _names("Resources it protects, by name.")
    resource_type: str | None = Field(
        default=None, max_length=MAX_NAME, description="Protects every resource of this type."
    )
    scopes: list[Name] | None = _names("Scopes it protects, by name (a scope permission).")
    resource: Name | None = Field(
        default=None, description="Only these scopes of this resource (a scope permission)."
    )
    policies: list[Name] = Field(
        default_factory=list,
        max_length=MAX_LIST,
        description="Policies that decide, by name.",
        json_schema_extra=_list_set(),
    )
    decision_strategy: DecisionStrategy = Field(
        default=DecisionStrategy.UNANIMOUS, description="How the policies' decisions combine."
    )

    def kind(self) -> str:
        return "scope" if self.scopes is not None else "resource"


_AUTHORITATIVE = (
    "Unset: not managed. Authoritative when set: items not listed are removed, including "
    "Keycloak's defaults (Default Resource, Default Policy, Default Permission) unless listed"
)


class ClientAuthorization(SpecModel):
    """Authorization services (the client as a resource server).

    Needs a Confidential openid-connect client with flows.serviceAccounts. Removing this
    block leaves authorization services as they are in Keycloak.
    """

    policy_enforcement_mode: EnforcementMode | None = Field(
        default=None,
        description="ENFORCING (deny what no permission covers), PERMISSIVE (allow it) or "
        "DISABLED (allow everything).",
    )
    decision_strategy: DecisionStrategy | None = Field(
        default=None, description="How the permissions' decisions combine."
    )
    allow_remote_resource_management: bool | None = Field(
        default=None, description="The client may manage its resources through the Protection API."
    )
    scopes: list[AuthorizationScope] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=f"Scopes. {_AUTHORITATIVE}.",
        json_schema_extra=_list_map("name"),
    )
    resources: list[AuthorizationResource] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            f"Resources. {_AUTHORITATIVE}; resources owned by users (user-managed access) are "
            "never removed."
        ),
        json_schema_extra=_list_map("name"),
    )
    policies: list[AuthorizationPolicy] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=(
            f"Policies. {_AUTHORITATIVE}; users' own sharing policies (type uma) are never "
            "removed. JavaScript policies need the realm's allowScriptMappers grant."
        ),
        json_schema_extra=_list_map("name"),
    )
    permissions: list[AuthorizationPermission] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description=f"Resource and scope permissions. {_AUTHORITATIVE}.",
        json_schema_extra=_list_map("name"),
    )

    def script_policies(self) -> list[str]:
        """Names of the JavaScript policies (refused without the realm's grant)."""
        return [p.name for p in self.policies or () if p.javascript is not None]


# Keycloak runs authorization services only for these clients (checked by admission).
AUTHORIZATION_RULE = CelRule(
    "!has(self.authorization) || (self.accessType == 'Confidential' "
    "&& self.protocol == 'openid-connect' && has(self.flows) "
    "&& has(self.flows.serviceAccounts) && self.flows.serviceAccounts)",
    "authorization services need accessType: Confidential, protocol: openid-connect and "
    "flows.serviceAccounts: true",
    field_path=".authorization",
)

__all__ = [
    "AUTHORIZATION_RULE",
    "AuthorizationPermission",
    "AuthorizationPolicy",
    "AuthorizationResource",
    "AuthorizationScope",
    "ClientAuthorization",
    "DecisionStrategy",
    "EnforcementMode",
    "Logic",
]
