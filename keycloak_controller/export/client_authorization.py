"""A client's authorization services as `spec.authorization` (pure).

Input is Keycloak's own export of the resource server (GET .../authz/resource-server/
settings): settings, scopes, resources and policies with every reference by *name*
(role names, group paths, usernames, clientIds, the names of this client's
resources, scopes and policies), which is what the spec holds. The configs are read
with the same parsers the controller compares with (`client_authorization_model`), so
an adopted client is seen as equal.

Every list is exported in full (the spec's lists are authoritative once set); what
Keycloak's users own (user-managed resources, their `uma` sharing policies) is not
the client's and is left out, as the controller leaves it alone. A policy the CRD
cannot type (an uploaded `js` policy, such as the "Default Policy" of Keycloak 24 to
26.0) leaves `policies` and `permissions` unset, with a note: a partial list would
delete it, and the permissions that name it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from keycloak_controller.api.client_authorization import (
    UMA_POLICY_TYPE,
    AggregatePolicy,
    AuthorizationPermission,
    AuthorizationPolicy,
    AuthorizationResource,
    AuthorizationScope,
    ClientAuthorization,
    ClientPolicy,
    ClientScopePolicy,
    ClientScopeReference,
    DecisionStrategy,
    EnforcementMode,
    GroupPolicy,
    GroupReference,
    JavaScriptPolicy,
    Logic,
    RegexPolicy,
    RolePolicy,
    RoleReference,
    TimePolicy,
    UserPolicy,
)
from keycloak_controller.controllers import client_authorization_model as model
from keycloak_controller.keycloak.models import (
    PolicyRepresentation,
    ResourceRepresentation,
    ResourceServerRepresentation,
    ScopeRepresentation,
)

# What a resource server starts with (26.7.3): left out when equal.
DEFAULT_ENFORCEMENT = "ENFORCING"
DEFAULT_DECISION = "UNANIMOUS"
DEFAULT_REMOTE_MANAGEMENT = True
SPEC_KINDS = {v: k for k, v in model.KEYCLOAK_TYPES.items()}  # Keycloak type -> spec field


@dataclass
class AuthorizationExport:
    authorization: ClientAuthorization
    notes: list[str] = field(default_factory=list)


def _value(enum_value: Any) -> str | None:
    return str(enum_value.value) if enum_value is not None else None


def export_scope(scope: ScopeRepresentation) -> AuthorizationScope:
    return AuthorizationScope(
        name=scope.name or "",
        display_name=scope.display_name or None,
        icon_uri=scope.icon_uri or None,
    )


def export_resource(resource: ResourceRepresentation) -> AuthorizationResource:
    return AuthorizationResource(
        name=resource.name or "",
        display_name=resource.display_name or None,
        type=resource.type or None,
        uris=sorted(u for u in resource.uris or [] if u) or None,
        scopes=sorted(s.name for s in resource.scopes or [] if s.name) or None,
        owner_managed_access=True if resource.owner_managed_access else None,
        icon_uri=resource.icon_uri or None,
        attributes={k: list(v) for k, v in sorted((resource.attributes or {}).items())} or None,
    )


def _typed(kind: str, config: dict[str, str] | None, strategy: str) -> dict[str, Any]:
    """The spec's typed block of a policy of spec kind `kind`, from its exported config."""
    parsed = model.actual_config(kind, config)
    if kind == "role":
        roles = [RoleReference(name=n, required=r) for n, r in parsed["roles"]]
        return {"role": RolePolicy(roles=roles)}
    if kind == "group":
        groups = [GroupReference(path=p, extend_children=e) for p, e in parsed["groups"]]
        return {"group": GroupPolicy(groups=groups, groups_claim=parsed["groupsClaim"] or None)}
    if kind == "user":
        return {"user": UserPolicy(users=parsed["users"])}
    if kind == "client":
        return {"client": ClientPolicy(clients=parsed["clients"])}
    if kind == "clientScope":
        scopes = [ClientScopeReference(name=n, required=r) for n, r in parsed["clientScopes"]]
        return {"client_scope": ClientScopePolicy(client_scopes=scopes)}
    if kind == "time":
        by_key = {key: spec_field for spec_field, (_, key) in model.TIME_KEYS.items()}
        values: dict[str, Any] = {}
        for key, value in parsed.items():
            spec_field = by_key[key]
            values[spec_field] = value if spec_field.startswith("not_") else int(value)
        return {"time": TimePolicy(**values)}
    if kind == "regex":
        return {
            "regex": RegexPolicy(
                target_claim=parsed["targetClaim"],
                pattern=parsed["pattern"],
                target_context_attributes=parsed["targetContextAttributes"] == "true",
            )
        }
    if kind == "aggregate":
        return {
            "aggregate": AggregatePolicy(
                policies=parsed["applyPolicies"], decision_strategy=DecisionStrategy(strategy)
            )
        }
    raise ValueError(kind)


def export_policy(policy: PolicyRepresentation) -> AuthorizationPolicy | None:
    """The policy as a spec entry; None for a type the CRD does not type."""
    kind_type = policy.type or ""
    strategy = _value(policy.decision_strategy) or DEFAULT_DECISION
    if kind_type.startswith("script-"):
        typed: dict[str, Any] = {"javascript": JavaScriptPolicy(provider_id=kind_type)}
    elif kind_type in SPEC_KINDS:
        try:
            typed = _typed(SPEC_KINDS[kind_type], policy.config, strategy)
        except ValueError:
            return None  # a config the typed block cannot hold (e.g. an empty role list)
    else:
        return None
    return AuthorizationPolicy(
        name=policy.name or "",
        description=policy.description or None,
        logic=Logic(_value(policy.logic) or "POSITIVE"),
        **typed,
    )


def export_permission(policy: PolicyRepresentation) -> AuthorizationPermission | None:
    """A resource or scope permission; None when the CRD cannot say it (a scope
    permission on several resources)."""
    parsed = model.actual_permission_config(policy.config)
    resources: list[str] = parsed["resources"]
    scopes: list[str] = parsed["scopes"]
    common: dict[str, Any] = {
        "name": policy.name or "",
        "description": policy.description or None,
        "policies": parsed["applyPolicies"],
        "decision_strategy": DecisionStrategy(_value(policy.decision_strategy) or DEFAULT_DECISION),
    }
    if policy.type == "scope":
        if len(resources) > 1:
            return None
        return AuthorizationPermission(
            scopes=scopes, resource=resources[0] if resources else None, **common
        )
    resource_type = parsed["defaultResourceType"] or None
    if resource_type is not None:
        return AuthorizationPermission(resource_type=resource_type, **common)
    if resources:
        return AuthorizationPermission(resources=resources, **common)
    return None  # neither resources nor a type: nothing the spec can say


def export_authorization(server: ResourceServerRepresentation) -> AuthorizationExport:
    notes: list[str] = []
    scopes = sorted((export_scope(s) for s in server.scopes or [] if s.name), key=lambda s: s.name)
    # The export gives the client's own resources without an owner, users' with one.
    resources = sorted(
        (export_resource(r) for r in server.resources or [] if r.name and r.owner is None),
        key=lambda r: r.name,
    )
    policies: list[AuthorizationPolicy] = []
    permissions: list[AuthorizationPermission] = []
    untyped_policies: list[str] = []
    untyped_permissions: list[str] = []
    for policy in server.policies or []:
        if policy.type == UMA_POLICY_TYPE or policy.owner or not policy.name:
            continue  # users' own sharing
        if policy.type in model.PERMISSION_TYPES:
            permission = export_permission(policy)
            if permission is None:
                untyped_permissions.append(f"{policy.name} ({policy.type} permission)")
            else:
                permissions.append(permission)
            continue
        exported = export_policy(policy)
        if exported is None:
            untyped_policies.append(f"{policy.name} ({policy.type})")
        else:
            policies.append(exported)
    # The lists are authoritative: an incomplete one would delete what it cannot say.
    # So a list with an item the CRD cannot type is left unset (not managed), and the
    # permissions with the policies, since they name them.
    wanted_policies: list[AuthorizationPolicy] | None = sorted(policies, key=lambda p: p.name)
    wanted_permissions: list[AuthorizationPermission] | None = sorted(
        permissions, key=lambda p: p.name
    )
    if untyped_policies:
        wanted_policies = wanted_permissions = None
        notes.append(
            "spec.authorization.policies and .permissions are left unset (not managed, kept "
            "as Keycloak has them): the CRD cannot type "
            + ", ".join(untyped_policies + untyped_permissions)
        )
    elif untyped_permissions:
        wanted_permissions = None
        notes.append(
            "spec.authorization.permissions is left unset (not managed, kept as Keycloak has "
            "them): the CRD cannot say " + ", ".join(untyped_permissions)
        )
    mode = _value(server.policy_enforcement_mode)
    decision = _value(server.decision_strategy)
    remote = server.allow_remote_resource_management
    authorization = ClientAuthorization(
        policy_enforcement_mode=EnforcementMode(mode)
        if mode and mode != DEFAULT_ENFORCEMENT
        else None,
        decision_strategy=DecisionStrategy(decision)
        if decision and decision != DEFAULT_DECISION
        else None,
        allow_remote_resource_management=remote
        if remote is not None and remote != DEFAULT_REMOTE_MANAGEMENT
        else None,
        scopes=scopes,
        resources=resources,
        policies=wanted_policies,
        permissions=wanted_permissions,
    )
    return AuthorizationExport(authorization, notes)
