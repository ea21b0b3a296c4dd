"""`spec.clientPolicies` as a realm section: the realm's own client profiles and
policies, each merged by name into the one document Keycloak keeps for them.

Keycloak's endpoints replace a realm's whole list of profiles (or policies), so
each list is one write of a merged document: listed entries are made equal to
the spec (executors and conditions exactly as listed, their configuration keys
one-sided), unlisted entries are kept (ADDITIVE) or removed when
`authoritative: true` (AUTHORITATIVE). Global (built-in) profiles and
policies live outside these documents and are never written; policies may
name global profiles.

Profiles are written before policies (Keycloak refuses a policy naming an
unknown profile); a merged policy naming a profile that the merged profiles
and the global ones lack is refused here, by field, before anything is
written. Configuration shapes per version (array before 26.3, `mode` from
26.7) are the adapter's job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.api.realm_client_policies import (
    ClientPolicies,
    ClientPolicy,
    ClientProfile,
    Condition,
    Executor,
)
from keycloak_controller.keycloak.models import (
    ClientPoliciesRepresentation,
    ClientPolicyConditionRepresentation,
    ClientPolicyExecutorRepresentation,
    ClientPolicyRepresentation,
    ClientProfileRepresentation,
    ClientProfilesRepresentation,
)

from .childset import ChildSet, Removal, SetPlan
from .plan import Change, Verb
from .realm_section import RealmSection
from .reasons import INVALID_SPEC, Problem

D = TypeVar("D", ClientProfile, ClientPolicy)
A = TypeVar("A", ClientProfileRepresentation, ClientPolicyRepresentation)


def removal(spec: ClientPolicies) -> Removal:
    return Removal.AUTHORITATIVE if spec.authoritative else Removal.ADDITIVE


def configuration_equal(want: dict[str, Any] | None, have: dict[str, Any] | None) -> bool:
    """One-sided: the keys the spec sets (Keycloak may add its defaults)."""
    have = have or {}
    return all(have.get(k) == v for k, v in (want or {}).items())


def executors_equal(
    want: Sequence[Executor], have: Sequence[ClientPolicyExecutorRepresentation] | None
) -> bool:
    have = list(have or [])
    return len(want) == len(have) and all(
        w.executor == h.executor and configuration_equal(w.configuration, h.configuration)
        for w, h in zip(want, have, strict=True)
    )


def conditions_equal(
    want: Sequence[Condition], have: Sequence[ClientPolicyConditionRepresentation] | None
) -> bool:
    have = list(have or [])
    return len(want) == len(have) and all(
        w.condition == h.condition and configuration_equal(w.configuration, h.configuration)
        for w, h in zip(want, have, strict=True)
    )


def profile_equal(want: ClientProfile, have: ClientProfileRepresentation) -> bool:
    return (want.description is None or (have.description or "") == want.description) and (
        executors_equal(want.executors, have.executors)
    )


def policy_equal(want: ClientPolicy, have: ClientPolicyRepresentation) -> bool:
    return (
        (want.description is None or (have.description or "") == want.description)
        and bool(have.enabled) == want.enabled
        and (want.mode is None or (have.mode or "DEFAULT") == want.mode)
        and conditions_equal(want.conditions, have.conditions)
        and list(have.profiles or []) == want.profiles
    )


def profile_body(want: ClientProfile) -> ClientProfileRepresentation:
    return ClientProfileRepresentation(
        name=want.name,
        description=want.description,
        executors=[
            ClientPolicyExecutorRepresentation(
                executor=e.executor, configuration=dict(e.configuration or {})
            )
            for e in want.executors
        ],
    )


def policy_body(want: ClientPolicy) -> ClientPolicyRepresentation:
    return ClientPolicyRepresentation(
        name=want.name,
        description=want.description,
        enabled=want.enabled,
        mode=want.mode.value if want.mode is not None else None,
        conditions=[
            ClientPolicyConditionRepresentation(
                condition=c.condition, configuration=dict(c.configuration or {})
            )
            for c in want.conditions
        ],
        profiles=list(want.profiles),
    )


def merged(
    plan: SetPlan[D, A],
    actual: Sequence[A],
    body: Callable[[D], A],
    key: Callable[[A], str],
) -> list[A]:
    """The document after the plan: Keycloak's order kept, updates in place, removals
    dropped, new entries appended in spec order."""
    updated = {key(body(d)): body(d) for d, _ in plan.update}
    removed = {key(a) for a in plan.delete}
    out = [updated.get(key(a), a) for a in actual if key(a) not in removed]
    return out + [body(d) for d in plan.create]


def describe(field_name: str, plan: SetPlan[Any, Any], key: Callable[[Any], str]) -> str:
    """`clientPolicies.profiles[a], clientPolicies.profiles[b] (delete)`."""
    parts = [f"clientPolicies.{field_name}[{w.name}] (create)" for w in plan.create]
    parts += [f"clientPolicies.{field_name}[{w.name}]" for w, _ in plan.update]
    parts += [f"clientPolicies.{field_name}[{key(a)}] (delete)" for a in plan.delete]
    return ", ".join(sorted(parts))


def _name(item: ClientProfileRepresentation | ClientPolicyRepresentation) -> str:
    return item.name or ""


def check_unique(field_name: str, names: Sequence[str]) -> None:
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise Problem(INVALID_SPEC, f"spec.clientPolicies.{field_name}: duplicate names {repeated}")


def check_references(
    policies: Sequence[ClientPolicyRepresentation],
    profiles: Sequence[ClientProfileRepresentation],
    global_profiles: Sequence[ClientProfileRepresentation],
) -> None:
    known = {p.name for p in profiles} | {p.name for p in global_profiles}
    for policy in policies:
        missing = [p for p in policy.profiles or [] if p not in known]
        if missing:
            raise Problem(
                INVALID_SPEC,
                f"spec.clientPolicies.policies[{policy.name}]: profiles {missing} are neither "
                "listed in spec.clientPolicies.profiles, nor in the realm, nor global",
            )


@dataclass
class ObservedClientPolicies:
    profiles: list[ClientProfileRepresentation]
    global_profiles: list[ClientProfileRepresentation]
    policies: list[ClientPolicyRepresentation]


class ClientPoliciesSection(RealmSection):
    name = "clientPolicies"

    @classmethod
    def managed(cls, spec: KeycloakRealmSpec) -> bool:
        return spec.client_policies is not None

    def observe(self) -> None:
        realms, realm = self.scope.admin.realms, self.scope.realm
        profiles = realms.client_profiles(realm, include_global=True)
        policies = realms.client_policies(realm)
        self.observed = ObservedClientPolicies(
            list(profiles.profiles or []),
            list(profiles.global_profiles or []),
            list(policies.policies or []),
        )

    def plan(self) -> list[Change]:
        spec = self.spec.client_policies
        if spec is None:
            return []
        realms, realm, observed = self.scope.admin.realms, self.scope.realm, self.observed
        profiles_after = observed.profiles
        policies_after = observed.policies
        changes: list[Change] = []
        if spec.profiles is not None:
            check_unique("profiles", [p.name for p in spec.profiles])
            profiles: ChildSet[ClientProfile, ClientProfileRepresentation] = ChildSet(
                name="clientPolicies.profiles",
                removal=removal(spec),
                desired_key=lambda p: p.name,
                actual_key=_name,
                equal=profile_equal,
            )
            profile_plan = profiles.plan(spec.profiles, observed.profiles)
            profiles_after = merged(profile_plan, observed.profiles, profile_body, _name)
            if profile_plan:
                document = ClientProfilesRepresentation(profiles=profiles_after)
                changes.append(
                    Change(
                        describe("profiles", profile_plan, _name),
                        Verb.UPDATE,
                        lambda: realms.update_client_profiles(realm, document),
                    )
                )
        if spec.policies is not None:
            check_unique("policies", [p.name for p in spec.policies])
            policies: ChildSet[ClientPolicy, ClientPolicyRepresentation] = ChildSet(
                name="clientPolicies.policies",
                removal=removal(spec),
                desired_key=lambda p: p.name,
                actual_key=_name,
                equal=policy_equal,
            )
            policy_plan = policies.plan(spec.policies, observed.policies)
            policies_after = merged(policy_plan, observed.policies, policy_body, _name)
            if policy_plan:
                policy_document = ClientPoliciesRepresentation(policies=policies_after)
                changes.append(
                    Change(
                        describe("policies", policy_plan, _name),
                        Verb.UPDATE,
                        lambda: realms.update_client_policies(realm, policy_document),
                    )
                )
        if changes:
            check_references(policies_after, profiles_after, observed.global_profiles)
        return changes
