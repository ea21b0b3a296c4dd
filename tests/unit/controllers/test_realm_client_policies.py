"""Pure planning of spec.clientPolicies: equality, the merged documents, the removal
policy and the check of the profiles each policy names."""

from __future__ import annotations

import pytest

from keycloak_controller.api.realm_client_policies import (
    ClientPolicies,
    ClientPolicy,
    ClientProfile,
)
from keycloak_controller.controllers.childset import ChildSet, Removal
from keycloak_controller.controllers.realm_client_policies import (
    check_references,
    describe,
    merged,
    policy_body,
    policy_equal,
    profile_body,
    profile_equal,
    removal,
)
from keycloak_controller.controllers.reasons import INVALID_SPEC, Problem
from keycloak_controller.keycloak.models import (
    ClientPolicyExecutorRepresentation,
    ClientPolicyRepresentation,
    ClientProfileRepresentation,
)

PKCE = ClientProfile.model_validate(
    {
        "name": "pkce",
        "executors": [{"executor": "pkce-enforcer", "configuration": {"auto-configure": False}}],
    }
)


def have_profile(name: str, **configuration: object) -> ClientProfileRepresentation:
    executor = ClientPolicyExecutorRepresentation(
        executor="pkce-enforcer", configuration=configuration
    )
    return ClientProfileRepresentation(name=name, executors=[executor])


def test_profiles_compare_executors_exactly_and_their_configuration_one_sided() -> None:
    assert profile_equal(PKCE, have_profile("pkce", **{"auto-configure": False, "extra": 1}))
    assert not profile_equal(PKCE, have_profile("pkce", **{"auto-configure": True}))
    two = have_profile("pkce", **{"auto-configure": False})
    two.executors = [*(two.executors or []), *(two.executors or [])]
    assert not profile_equal(PKCE, two)
    described = PKCE.model_copy(update={"description": "d"})
    assert not profile_equal(described, have_profile("pkce", **{"auto-configure": False}))


def test_policies_compare_enabled_profiles_conditions_and_a_given_mode() -> None:
    want = ClientPolicy.model_validate(
        {"name": "p", "conditions": [{"condition": "any-client"}], "profiles": ["pkce"]}
    )
    have = policy_body(want)
    assert policy_equal(want, have)
    assert not policy_equal(want, have.model_copy(update={"enabled": False}))
    assert not policy_equal(want, have.model_copy(update={"profiles": ["other"]}))
    assert not policy_equal(want, have.model_copy(update={"conditions": []}))
    # Servers before 26.7 send no mode: DEFAULT is what they do.
    assert policy_equal(want.model_copy(update={"mode": "DEFAULT"}), have)
    assert not policy_equal(want.model_copy(update={"mode": "STRICT"}), have)


def profile_set(rule: Removal) -> ChildSet[ClientProfile, ClientProfileRepresentation]:
    return ChildSet(
        name="clientPolicies.profiles",
        removal=rule,
        desired_key=lambda p: p.name,
        actual_key=lambda p: p.name or "",
        equal=profile_equal,
    )


def test_the_document_keeps_keycloaks_order_and_unlisted_entries_unless_authoritative() -> None:
    actual = [have_profile("first"), have_profile("pkce", **{"auto-configure": True})]
    new = ClientProfile(name="new")

    def names(items: list[ClientProfileRepresentation]) -> list[str | None]:
        return [p.name for p in items]

    additive = profile_set(Removal.ADDITIVE).plan([new, PKCE], actual)
    after = merged(additive, actual, profile_body, lambda p: p.name or "")
    assert names(after) == ["first", "pkce", "new"]
    assert after[1] == profile_body(PKCE)
    assert describe("profiles", additive, lambda p: p.name) == (
        "clientPolicies.profiles[new] (create), clientPolicies.profiles[pkce]"
    )
    authoritative = profile_set(Removal.AUTHORITATIVE).plan([PKCE], actual)
    assert names(merged(authoritative, actual, profile_body, lambda p: p.name or "")) == ["pkce"]
    assert removal(ClientPolicies(authoritative=True)) is Removal.AUTHORITATIVE
    assert removal(ClientPolicies()) is Removal.ADDITIVE


def test_a_policy_must_name_profiles_that_exist_after_the_write() -> None:
    policy = ClientPolicyRepresentation(name="p", profiles=["pkce", "fapi-2-security-profile"])
    check_references(
        [policy],
        [profile_body(PKCE)],
        [ClientProfileRepresentation(name="fapi-2-security-profile")],
    )
    with pytest.raises(Problem) as refused:
        check_references([policy], [profile_body(PKCE)], [])
    assert refused.value.reason == INVALID_SPEC
    assert "spec.clientPolicies.policies[p]" in refused.value.message
    assert "fapi-2-security-profile" in refused.value.message
