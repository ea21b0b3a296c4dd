"""The realm's own authentication flows as `spec.authenticationFlows` entries.

Each flow that is not built in is exported whole: its executions in order,
nested subflows with their own executions, requirements and authenticator
configs (the inverse of `controllers.realm_flow_executions.desired_steps`). No
`copyOf`: a flow copied by hand has since been changed, and its executions say
what it is now, so the controller builds it from them (subflow aliases kept as
they are). Built-in flows are never exported: the CRD never changes them (a
changed built-in flow cannot be expressed; the caller notes it). The ownership
marker the controller appends to descriptions is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keycloak_controller.api.realm_flows import AuthenticationFlow
from keycloak_controller.controllers.realm_flow_executions import ActualStep, actual_tree, walk
from keycloak_controller.controllers.realm_flows import strip_marker
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import AuthenticationFlowRepresentation


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


def export_flows(admin: KeycloakAdmin, realm: str) -> list[AuthenticationFlow]:
    auth = admin.authentication
    out = []
    for flow in auth.flows(realm):
        if flow.built_in or flow.top_level is False or not flow.alias:
            continue
        tree = actual_tree(auth.executions(realm, flow.alias))
        for step in walk(tree):
            if step.info.authentication_config:
                step.config = auth.get_config(realm, step.info.authentication_config)
        out.append(export_flow(flow, tree))
    return sorted(out, key=lambda f: f.alias)
