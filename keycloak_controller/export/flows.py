"""The realm's own authentication flows as `spec.authenticationFlows` entries.

Each flow that is not built in is exported whole: its executions in order,
nested subflows with their own executions, requirements and authenticator
configs (the inverse of `controllers.realm_flow_executions.desired_steps`). No
`copyOf`: a flow copied by hand has since been changed, and its executions say
what it is now, so the controller builds it from them (subflow aliases kept as
they are). Built-in flows are never exported: the CRD never changes them. One
changed by hand (its executions or requirements differ from a new realm's,
`defaults.BUILTIN_FLOWS`, checked on the version they were captured from)
cannot be expressed, so it is named for a note (copy it, bind the copy). The
ownership marker the controller appends to descriptions is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from keycloak_controller.api.realm_flows import AuthenticationFlow
from keycloak_controller.controllers.realm_flow_executions import (
    ActualStep,
    actual_tree,
    execution_base_key,
    walk,
)
from keycloak_controller.controllers.realm_flows import strip_marker
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import (
    AuthenticationExecutionInfoRepresentation,
    AuthenticationFlowRepresentation,
)

from . import defaults


def _steps(tree: Sequence[ActualStep]) -> list[dict[str, Any]]:
    """One (sub)flow's executions as spec items (any level: the models are alike)."""
    out: list[dict[str, Any]] = []
    for step in tree:
        info = step.info
        if step.is_subflow:
            sub: dict[str, Any] = {
                "alias": info.display_name or "",
                "requirement": info.requirement or "DISABLED",
                "providerId": step.provider_id,
                "executions": _steps(step.children),
            }
            if info.description:
                sub["description"] = info.description
            out.append({"subflow": sub})
            continue
        item: dict[str, Any] = {
            "authenticator": info.provider_id or "",
            "requirement": info.requirement or "DISABLED",
        }
        if step.config is not None:
            item["config"] = {
                "alias": step.config.alias or "",
                "config": dict(step.config.config or {}),
            }
        out.append(item)
    return out


def export_flow(
    flow: AuthenticationFlowRepresentation, tree: Sequence[ActualStep]
) -> AuthenticationFlow:
    """A flow and its execution tree (configs read into the steps) as a spec entry."""
    body: dict[str, Any] = {"alias": flow.alias or "", "executions": _steps(tree)}
    description = strip_marker(flow.description)
    if description:
        body["description"] = description
    if flow.provider_id and flow.provider_id != "basic-flow":
        body["providerId"] = flow.provider_id
    return AuthenticationFlow.model_validate(body)


# The server whose new realms `defaults.BUILTIN_FLOWS` describes (older ones differ).
BUILTIN_FLOWS_VERSION = (26, 7)
SPNEGO = "auth-spnego"


def builtin_signature(
    infos: Sequence[AuthenticationExecutionInfoRepresentation],
) -> tuple[str, ...]:
    """A built-in flow's executions as `defaults.BUILTIN_FLOWS` has them. Kerberos's
    requirement is Keycloak's own doing: it switches auth-spnego when a Kerberos
    provider (or LDAP with Kerberos) is added or removed, so it is not compared."""
    return tuple(
        f"{i.level or 0}|{execution_base_key(i)}|"
        + ("*" if i.provider_id == SPNEGO else str(i.requirement))
        for i in infos
    )


@dataclass
class ExportedFlows:
    flows: list[AuthenticationFlow] = field(default_factory=list)
    # Built-in flows changed from a new realm's: the spec never changes a built-in flow.
    changed_builtin: list[str] = field(default_factory=list)
    # Flows the CRD cannot hold (subflows nested deeper, or more executions, than it
    # allows), left out.
    not_expressible: list[str] = field(default_factory=list)


def export_flows(admin: KeycloakAdmin, realm: str) -> ExportedFlows:
    auth = admin.authentication
    # master's built-in flows are not a new realm's (no organization steps).
    compare_builtin = (
        admin.version.major,
        admin.version.minor,
    ) == BUILTIN_FLOWS_VERSION and realm != "master"
    out = ExportedFlows()
    for flow in auth.flows(realm):
        if flow.top_level is False or not flow.alias:
            continue
        infos = auth.executions(realm, flow.alias) if not flow.built_in or compare_builtin else []
        if flow.built_in:
            fresh = defaults.BUILTIN_FLOWS.get(flow.alias)
            if compare_builtin and fresh is not None and builtin_signature(infos) != fresh:
                out.changed_builtin.append(flow.alias)
            continue
        tree = actual_tree(infos)
        for step in walk(tree):
            if step.info.authentication_config:
                step.config = auth.get_config(realm, step.info.authentication_config)
        try:
            out.flows.append(export_flow(flow, tree))
        except ValidationError as e:  # deeper or longer than the CRD allows
            out.not_expressible.append(
                f"{flow.alias} ({e.error_count()} problems, e.g. {e.errors()[0]['msg']})"
            )
    out.flows.sort(key=lambda f: f.alias)
    return out
