"""The desired authorization services of a client (pure): spec -> comparable forms and
typed Admin API bodies.

Comparison happens in *name* space: the export (GET .../settings) gives every
policy's and permission's references by name, which is what the spec holds, so
no id is needed to see drift. Writes happen in *id* space: the typed bodies
are built with a `Names` resolver that turns each name into an id when the
change runs (a missing name is an InvalidSpec condition naming it). Keycloak
would accept names in a typed body too, but it silently drops a role it cannot
find and creates a resource's missing scope, so names are never sent.

Child sets (all AUTHORITATIVE when set):
- scopes, resources (except resources owned by users: user-managed access);
- policies (except type uma: users' own sharing), permissions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from keycloak_controller.api.client_authorization import (
    UMA_POLICY_TYPE,
    AuthorizationPermission,
    AuthorizationPolicy,
    AuthorizationResource,
    AuthorizationScope,
    ClientAuthorization,
)
from keycloak_controller.keycloak.models import (
    AbstractPolicyRepresentation,
    PolicyRepresentation,
    ResourceRepresentation,
    ResourceServerRepresentation,
    ScopeRepresentation,
)

from .childset import ChildSet, Removal

SCOPES_REMOVAL = Removal.AUTHORITATIVE
RESOURCES_REMOVAL = Removal.AUTHORITATIVE
POLICIES_REMOVAL = Removal.AUTHORITATIVE
PERMISSIONS_REMOVAL = Removal.AUTHORITATIVE
PERMISSION_TYPES = frozenset({"resource", "scope"})
PATH = "authorization"

# The spec's typed policy fields -> Keycloak's policy type (the typed endpoint).
KEYCLOAK_TYPES = {
    "role": "role",
    "group": "group",
    "user": "user",
    "client": "client",
    "clientScope": "client-scope",
    "time": "time",
    "regex": "regex",
    "aggregate": "aggregate",
}
# Time policy fields (spec, typed body) -> the config keys Keycloak keeps them under.
TIME_KEYS = {
    "not_before": ("notBefore", "nbf"),
    "not_on_or_after": ("notOnOrAfter", "noa"),
    "day_month": ("dayMonth", "dayMonth"),
    "day_month_end": ("dayMonthEnd", "dayMonthEnd"),
    "month": ("month", "month"),
    "month_end": ("monthEnd", "monthEnd"),
    "year": ("year", "year"),
    "year_end": ("yearEnd", "yearEnd"),
    "hour": ("hour", "hour"),
    "hour_end": ("hourEnd", "hourEnd"),
    "minute": ("minute", "minute"),
    "minute_end": ("minuteEnd", "minuteEnd"),
}


class Names(Protocol):
    """Resolves the spec's names to Keycloak ids (raises Problem for a missing one)."""

    def role(self, name: str, path: str) -> str: ...
    def group(self, path_: str, path: str) -> str: ...
    def user(self, username: str, path: str) -> str: ...
    def client(self, client_id: str, path: str) -> str: ...
    def client_scope(self, name: str, path: str) -> str: ...
    def scope(self, name: str, path: str) -> str: ...
    def resource(self, name: str, path: str) -> str: ...
    def policy(self, name: str, path: str) -> str: ...


# --- what Keycloak has ----------------------------------------------------------------


@dataclass(frozen=True)
class ActualResource:
    id: str
    rep: ResourceRepresentation  # exported: scopes by name
    user_owned: bool = False  # a user's resource (user-managed access), never removed


@dataclass(frozen=True)
class ActualPolicy:
    id: str
    rep: PolicyRepresentation  # exported: config references by name

    @property
    def type(self) -> str:
        return self.rep.type or ""

    @property
    def is_permission(self) -> bool:
        return self.type in PERMISSION_TYPES


def _json_list(config: dict[str, str] | None, key: str) -> list[Any]:
    raw = (config or {}).get(key)
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _pairs(items: Iterable[Any], key: str, flag: str) -> list[tuple[str, bool]]:
    return sorted(
        (str(i.get(key, "")), bool(i.get(flag, False))) for i in items if isinstance(i, dict)
    )


def _strings(items: Iterable[Any]) -> list[str]:
    return sorted(str(i) for i in items)


# --- comparable forms (name space) ------------------------------------------------------


def policy_type(policy: AuthorizationPolicy) -> str:
    if policy.javascript is not None:
        return policy.javascript.provider_id
    return KEYCLOAK_TYPES[policy.kind()]


def wanted_config(policy: AuthorizationPolicy) -> dict[str, Any]:
    """What the policy's exported config must say, normalised."""
    if policy.role is not None:
        return {"roles": sorted((r.name, r.required) for r in policy.role.roles)}
    if policy.group is not None:
        return {
            "groups": sorted((g.path, g.extend_children) for g in policy.group.groups),
            "groupsClaim": policy.group.groups_claim or "",
        }
    if policy.user is not None:
        return {"users": sorted(u.lower() for u in policy.user.users)}  # as Keycloak keeps them
    if policy.client is not None:
        return {"clients": sorted(policy.client.clients)}
    if policy.client_scope is not None:
        return {
            "clientScopes": sorted((s.name, s.required) for s in policy.client_scope.client_scopes)
        }
    if policy.time is not None:
        return {
            key: str(value)
            for field, (_, key) in TIME_KEYS.items()
            if (value := getattr(policy.time, field)) is not None
        }
    if policy.regex is not None:
        return {
            "targetClaim": policy.regex.target_claim,
            "pattern": policy.regex.pattern,
            "targetContextAttributes": str(policy.regex.target_context_attributes).lower(),
        }
    if policy.aggregate is not None:
        return {"applyPolicies": sorted(policy.aggregate.policies)}
    return {}  # a deployed script: its code is the provider's


def actual_config(kind: str, config: dict[str, str] | None) -> dict[str, Any]:
    """The exported config of a policy of spec kind `kind`, normalised like `wanted_config`."""
    config = config or {}
    if kind == "role":
        return {"roles": _pairs(_json_list(config, "roles"), "id", "required")}
    if kind == "group":
        return {
            "groups": _pairs(_json_list(config, "groups"), "path", "extendChildren"),
            "groupsClaim": config.get("groupsClaim") or "",
        }
    if kind == "user":
        return {"users": sorted(u.lower() for u in _strings(_json_list(config, "users")))}
    if kind == "client":
        return {"clients": _strings(_json_list(config, "clients"))}
    if kind == "clientScope":
        return {"clientScopes": _pairs(_json_list(config, "clientScopes"), "id", "required")}
    if kind == "time":
        keys = {key for _, key in TIME_KEYS.values()}
        return {k: v for k, v in config.items() if k in keys and v != ""}
    if kind == "regex":
        return {
            "targetClaim": config.get("targetClaim", ""),
            "pattern": config.get("pattern", ""),
            "targetContextAttributes": config.get("targetContextAttributes", "false"),
        }
    if kind == "aggregate":
        return {"applyPolicies": _strings(_json_list(config, "applyPolicies"))}
    return {}


def policy_equal(want: AuthorizationPolicy, have: ActualPolicy) -> bool:
    rep = have.rep
    if have.type != policy_type(want) or (rep.logic or "POSITIVE") != want.logic.value:
        return False
    if want.description is not None and (rep.description or "") != want.description:
        return False
    if want.aggregate is not None:
        strategy = rep.decision_strategy or "UNANIMOUS"
        if strategy != want.aggregate.decision_strategy.value:
            return False
    return wanted_config(want) == actual_config(want.kind(), rep.config)


def permission_config(permission: AuthorizationPermission) -> dict[str, Any]:
    resources = permission.resources or ([permission.resource] if permission.resource else [])
    return {
        "resources": sorted(resources),
        "scopes": sorted(permission.scopes or []),
        "applyPolicies": sorted(permission.policies),
        "defaultResourceType": permission.resource_type or "",
    }


def actual_permission_config(config: dict[str, str] | None) -> dict[str, Any]:
    return {
        "resources": _strings(_json_list(config, "resources")),
        "scopes": _strings(_json_list(config, "scopes")),
        "applyPolicies": _strings(_json_list(config, "applyPolicies")),
        "defaultResourceType": (config or {}).get("defaultResourceType") or "",
    }


def permission_equal(want: AuthorizationPermission, have: ActualPolicy) -> bool:
    rep = have.rep
    if have.type != want.kind():
        return False
    if (rep.decision_strategy or "UNANIMOUS") != want.decision_strategy.value:
        return False
    if want.description is not None and (rep.description or "") != want.description:
        return False
    return permission_config(want) == actual_permission_config(rep.config)


def scope_equal(want: AuthorizationScope, have: ScopeRepresentation) -> bool:
    return (want.display_name is None or want.display_name == (have.display_name or "")) and (
        want.icon_uri is None or want.icon_uri == (have.icon_uri or "")
    )


def resource_equal(want: AuthorizationResource, have: ActualResource) -> bool:
    rep = have.rep
    checks: list[tuple[object, object]] = [
        (want.display_name, rep.display_name or ""),
        (want.type, rep.type or ""),
        (want.icon_uri, rep.icon_uri or ""),
        (want.owner_managed_access, bool(rep.owner_managed_access)),
        (want.attributes, rep.attributes or {}),
        (sorted(want.uris) if want.uris is not None else None, sorted(rep.uris or [])),
        (
            sorted(want.scopes) if want.scopes is not None else None,
            sorted(s.name or "" for s in rep.scopes or []),
        ),
    ]
    return all(wanted is None or wanted == have_value for wanted, have_value in checks)


def settings_changes(
    want: ClientAuthorization, have: ResourceServerRepresentation
) -> dict[str, Any]:
    """The resource server's differing settings, as JSON fields."""
    wanted = {
        "policyEnforcementMode": want.policy_enforcement_mode,
        "decisionStrategy": want.decision_strategy,
        "allowRemoteResourceManagement": want.allow_remote_resource_management,
    }
    current = have.model_dump(by_alias=True, mode="json")
    return {
        key: value.value if hasattr(value, "value") else value
        for key, value in wanted.items()
        if value is not None
        and (value.value if hasattr(value, "value") else value) != current.get(key)
    }


# --- child sets -------------------------------------------------------------------------


def _name(item: Any) -> str:
    return str(item.name or "")


SCOPES: ChildSet[AuthorizationScope, ScopeRepresentation] = ChildSet(
    name=f"{PATH}.scopes",
    removal=SCOPES_REMOVAL,
    desired_key=lambda s: s.name,
    actual_key=_name,
    equal=scope_equal,
)
RESOURCES: ChildSet[AuthorizationResource, ActualResource] = ChildSet(
    name=f"{PATH}.resources",
    removal=RESOURCES_REMOVAL,
    desired_key=lambda r: r.name,
    actual_key=lambda r: r.rep.name or "",
    equal=resource_equal,
    protected=lambda r: r.user_owned,
)
POLICIES: ChildSet[AuthorizationPolicy, ActualPolicy] = ChildSet(
    name=f"{PATH}.policies",
    removal=POLICIES_REMOVAL,
    desired_key=lambda p: p.name,
    actual_key=lambda p: p.rep.name or "",
    equal=policy_equal,
    protected=lambda p: p.type == UMA_POLICY_TYPE or bool(p.rep.owner),
)
PERMISSIONS: ChildSet[AuthorizationPermission, ActualPolicy] = ChildSet(
    name=f"{PATH}.permissions",
    removal=PERMISSIONS_REMOVAL,
    desired_key=lambda p: p.name,
    actual_key=lambda p: p.rep.name or "",
    equal=permission_equal,
)


def creation_order(policies: Sequence[AuthorizationPolicy]) -> list[AuthorizationPolicy]:
    """Policies before the aggregates that name them (an aggregate's members must exist)."""
    by_name = {p.name: p for p in policies}
    depth: dict[str, int] = {}

    def level(name: str, seen: frozenset[str]) -> int:
        policy = by_name.get(name)
        if policy is None or policy.aggregate is None or name in seen:
            return 0
        if name not in depth:
            members = policy.aggregate.policies
            depth[name] = 1 + max((level(m, seen | {name}) for m in members), default=0)
        return depth[name]

    return sorted(policies, key=lambda p: level(p.name, frozenset()))


# --- typed bodies (id space) ------------------------------------------------------------


def scope_body(
    want: AuthorizationScope, have: ScopeRepresentation | None = None
) -> ScopeRepresentation:
    body = ScopeRepresentation(name=want.name)
    if have is not None:
        body = ScopeRepresentation(
            id=have.id, name=want.name, display_name=have.display_name, icon_uri=have.icon_uri
        )
    if want.display_name is not None:
        body.display_name = want.display_name
    if want.icon_uri is not None:
        body.icon_uri = want.icon_uri
    return body


def resource_body(
    want: AuthorizationResource, names: Names, have: ActualResource | None = None
) -> ResourceRepresentation:
    """The resource to send: the spec's fields over what Keycloak has (unset = kept)."""
    path = f"spec.{PATH}.resources[{want.name}]"
    current = have.rep if have is not None else ResourceRepresentation()
    scope_names = (
        want.scopes if want.scopes is not None else [s.name or "" for s in current.scopes or []]
    )
    fields: dict[str, Any] = {
        "name": want.name,
        "displayName": want.display_name if want.display_name is not None else current.display_name,
        "type": want.type if want.type is not None else current.type,
        "icon_uri": want.icon_uri if want.icon_uri is not None else current.icon_uri,
        "uris": want.uris if want.uris is not None else current.uris,
        "ownerManagedAccess": (
            want.owner_managed_access
            if want.owner_managed_access is not None
            else current.owner_managed_access
        ),
        "attributes": want.attributes if want.attributes is not None else current.attributes,
        "scopes": [
            {"id": names.scope(n, f"{path}.scopes"), "name": n} for n in sorted(scope_names)
        ],
    }
    if have is not None:
        fields["_id"] = have.id
    return ResourceRepresentation.model_validate({k: v for k, v in fields.items() if v is not None})


def policy_body(
    want: AuthorizationPolicy, names: Names, policy_id: str | None = None
) -> AbstractPolicyRepresentation:
    """The typed representation for /policy/{type}: references as ids."""
    path = f"spec.{PATH}.policies[{want.name}]"
    fields: dict[str, Any] = {
        "id": policy_id,
        "name": want.name,
        "description": want.description,
        "type": policy_type(want),
        "logic": want.logic.value,
        "decisionStrategy": "UNANIMOUS",
    }
    if want.role is not None:
        fields["roles"] = [
            {"id": names.role(r.name, f"{path}.role"), "required": r.required}
            for r in want.role.roles
        ]
    elif want.group is not None:
        fields["groups"] = [
            {"id": names.group(g.path, f"{path}.group"), "extendChildren": g.extend_children}
            for g in want.group.groups
        ]
        fields["groupsClaim"] = want.group.groups_claim or ""
    elif want.user is not None:
        fields["users"] = [names.user(u, f"{path}.user") for u in want.user.users]
    elif want.client is not None:
        fields["clients"] = [names.client(c, f"{path}.client") for c in want.client.clients]
    elif want.client_scope is not None:
        fields["clientScopes"] = [
            {"id": names.client_scope(s.name, f"{path}.clientScope"), "required": s.required}
            for s in want.client_scope.client_scopes
        ]
    elif want.time is not None:
        for field, (key, _) in TIME_KEYS.items():
            value = getattr(want.time, field)
            fields[key] = str(value) if value is not None else None
    elif want.regex is not None:
        fields["targetClaim"] = want.regex.target_claim
        fields["pattern"] = want.regex.pattern
        fields["targetContextAttributes"] = want.regex.target_context_attributes
    elif want.aggregate is not None:
        fields["policies"] = [names.policy(p, f"{path}.aggregate") for p in want.aggregate.policies]
        fields["decisionStrategy"] = want.aggregate.decision_strategy.value
    return AbstractPolicyRepresentation.model_validate(
        {k: v for k, v in fields.items() if v is not None}
    )


def permission_body(
    want: AuthorizationPermission, names: Names, permission_id: str | None = None
) -> AbstractPolicyRepresentation:
    path = f"spec.{PATH}.permissions[{want.name}]"
    resources = want.resources or ([want.resource] if want.resource else [])
    fields: dict[str, Any] = {
        "id": permission_id,
        "name": want.name,
        "description": want.description,
        "type": want.kind(),
        "logic": "POSITIVE",
        "decisionStrategy": want.decision_strategy.value,
        "policies": [names.policy(p, f"{path}.policies") for p in want.policies],
        "resources": [names.resource(r, f"{path}.resources") for r in resources],
        "scopes": [names.scope(s, f"{path}.scopes") for s in want.scopes or []],
        "resourceType": want.resource_type,
    }
    return AbstractPolicyRepresentation.model_validate(
        {k: v for k, v in fields.items() if v is not None}
    )


def settings_body(
    changes: dict[str, Any], have: ResourceServerRepresentation
) -> ResourceServerRepresentation:
    """The resource server's PUT: its three settings, the changed ones applied."""
    current = have.model_dump(by_alias=True, exclude_none=True, mode="json")
    keep = ("policyEnforcementMode", "decisionStrategy", "allowRemoteResourceManagement")
    body = {k: current[k] for k in keep if k in current}
    body.update(changes)
    return ResourceServerRepresentation.model_validate(body)
