"""The realm's own client profiles and policies as `spec.clientPolicies`.

The inverse of `controllers.realm_client_policies.profile_body`/`policy_body`:
executors and conditions in order, with their configuration as Keycloak has it
(the adapter reads older servers' shapes into the canonical one). Global,
built-in profiles and policies are not the realm's and are never exported
(policies may name them). A policy's mode is exported only when it is not
Keycloak's DEFAULT.
"""

from __future__ import annotations

from keycloak_controller.api.realm_client_policies import (
    ClientPolicies,
    ClientPolicy,
    ClientProfile,
    Condition,
    Executor,
    PolicyMode,
)
from keycloak_controller.keycloak.models import (
    ClientPoliciesRepresentation,
    ClientPolicyRepresentation,
    ClientProfileRepresentation,
    ClientProfilesRepresentation,
)


def export_profile(have: ClientProfileRepresentation) -> ClientProfile:
    return ClientProfile(
        name=have.name or "",
        description=have.description or None,
        executors=[
            Executor(executor=e.executor or "", configuration=dict(e.configuration or {}) or None)
            for e in have.executors or ()
        ],
    )


def export_policy(have: ClientPolicyRepresentation) -> ClientPolicy:
    mode = have.mode if have.mode and have.mode != PolicyMode.DEFAULT.value else None
    return ClientPolicy(
        name=have.name or "",
        description=have.description or None,
        enabled=bool(have.enabled),
        mode=PolicyMode(mode) if mode else None,
        conditions=[
            Condition(
                condition=c.condition or "", configuration=dict(c.configuration or {}) or None
            )
            for c in have.conditions or ()
        ],
        profiles=list(have.profiles or []),
    )


def export_client_policies(
    profiles: ClientProfilesRepresentation, policies: ClientPoliciesRepresentation
) -> ClientPolicies | None:
    """None when the realm has no profiles or policies of its own."""
    own_profiles = sorted(
        (export_profile(p) for p in profiles.profiles or ()), key=lambda p: p.name
    )
    own_policies = sorted((export_policy(p) for p in policies.policies or ()), key=lambda p: p.name)
    if not own_profiles and not own_policies:
        return None
    return ClientPolicies(profiles=own_profiles or None, policies=own_policies or None)
