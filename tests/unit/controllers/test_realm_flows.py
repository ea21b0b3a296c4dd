"""Pure planning of authentication flows: keys, the tree, moves, the change list, ownership."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.api.realm_flows import AuthenticationFlow
from keycloak_controller.controllers.realm_flow_executions import (
    ActualStep,
    ExecutionWriter,
    actual_tree,
    desired_steps,
    keyed,
    plan_executions,
    plan_tree,
    raise_moves,
    subflow_aliases,
)
from keycloak_controller.controllers.realm_flows import (
    AuthenticationFlowsSection,
    ObservedFlows,
    flow_set,
    is_owned,
    owner_marker,
    strip_marker,
)
from keycloak_controller.controllers.realm_section import RealmScope
from keycloak_controller.controllers.reasons import Problem
from keycloak_controller.keycloak.models import (
    AuthenticationExecutionInfoRepresentation as Info,
)
from keycloak_controller.keycloak.models import (
    AuthenticationFlowRepresentation,
    AuthenticatorConfigRepresentation,
    RealmRepresentation,
)

OWNER = "KeycloakRealm/ns/realm"
ALL = ["REQUIRED", "ALTERNATIVE", "DISABLED", "CONDITIONAL"]


def auth_info(provider: str, requirement: str = "REQUIRED", level: int = 0, **kw: Any) -> Info:
    return Info(
        id=f"id-{provider}",
        provider_id=provider,
        requirement=requirement,
        level=level,
        requirement_choices=ALL,
        **kw,
    )


def flow_info(alias: str, requirement: str = "ALTERNATIVE", level: int = 0) -> Info:
    return Info(
        id=f"id-{alias}",
        display_name=alias,
        authentication_flow=True,
        requirement=requirement,
        level=level,
        requirement_choices=ALL,
    )


def flow(**spec: Any) -> AuthenticationFlow:
    return AuthenticationFlow.model_validate({"alias": "f", **spec})


def step(authenticator: str, requirement: str = "REQUIRED", **extra: Any) -> dict[str, Any]:
    return {"authenticator": authenticator, "requirement": requirement, **extra}


class Recorder(ExecutionWriter):
    """Never called while planning; the tests only look at the planned paths."""

    def __init__(self) -> None:
        super().__init__(auth=None, realm="r")  # type: ignore[arg-type]


def paths(desired: list[dict[str, Any]], actual: list[Info]) -> list[str]:
    steps = desired_steps(flow(executions=desired).executions) or []
    changes = plan_executions(Recorder(), "f", "flows[f]", steps, actual_tree(actual))
    return [c.describe() for c in changes]


def test_repeated_keys_are_numbered_in_order() -> None:
    assert keyed(["a", "b", "a", "a"]) == ["a", "b", "a#2", "a#3"]


def test_the_flattened_list_becomes_a_tree() -> None:
    tree = actual_tree(
        [
            auth_info("auth-cookie"),
            flow_info("forms"),
            auth_info("auth-username-password-form", level=1),
            flow_info("otp", level=1),
            auth_info("conditional-user-configured", level=2),
            auth_info("auth-spnego"),
        ]
    )
    assert [s.base_key for s in tree] == ["auth-cookie", "forms", "auth-spnego"]
    assert [s.base_key for s in tree[1].children] == ["auth-username-password-form", "otp"]
    assert [s.base_key for s in tree[1].children[1].children] == ["conditional-user-configured"]


@pytest.mark.parametrize(
    ("current", "desired", "moves"),
    [
        (["a", "b", "c"], ["a", "b", "c"], []),
        (["a", "b", "c"], ["c", "a", "b"], [("c", 2)]),
        (["b", "a", "c"], ["a", "b", "c"], [("a", 1)]),
        (["c", "b", "a"], ["a", "b", "c"], [("a", 2), ("b", 1)]),
    ],
)
def test_moves_bubble_each_key_up_to_its_place(
    current: list[str], desired: list[str], moves: list[tuple[str, int]]
) -> None:
    assert raise_moves(current, desired) == moves


def test_an_equal_tree_plans_nothing() -> None:
    desired = [
        step("auth-cookie", "ALTERNATIVE"),
        {"subflow": {"alias": "forms", "requirement": "ALTERNATIVE", "executions": [step("x")]}},
    ]
    actual = [auth_info("auth-cookie", "ALTERNATIVE"), flow_info("forms"), auth_info("x", level=1)]
    assert paths(desired, actual) == []


def test_deletes_updates_creates_then_the_order() -> None:
    desired = [step("b", "ALTERNATIVE"), step("a"), step("new")]
    actual = [auth_info("a"), auth_info("b"), auth_info("gone")]
    assert paths(desired, actual) == [
        "flows[f].executions[gone] (delete)",
        "flows[f].executions[b]",
        "flows[f].executions[new] (create)",
        "flows[f].executions.order",
    ]


def test_created_steps_land_at_the_end_without_a_move() -> None:
    assert paths([step("a"), step("b")], [auth_info("a")]) == ["flows[f].executions[b] (create)"]


def test_subflows_are_planned_below_their_path() -> None:
    desired = [
        {"subflow": {"alias": "s", "requirement": "CONDITIONAL", "executions": [step("y")]}},
    ]
    actual = [flow_info("s", "CONDITIONAL"), auth_info("x", level=1)]
    assert paths(desired, actual) == [
        "flows[f].executions[s].executions[x] (delete)",
        "flows[f].executions[s].executions[y] (create)",
    ]


def test_a_subflow_without_executions_keeps_its_own() -> None:
    desired = [{"subflow": {"alias": "s", "requirement": "CONDITIONAL"}}]
    actual = [flow_info("s", "CONDITIONAL"), auth_info("x", level=1)]
    assert paths(desired, actual) == []


def test_a_subflow_of_another_type_is_replaced() -> None:
    desired = [{"subflow": {"alias": "s", "requirement": "REQUIRED", "providerId": "form-flow"}}]
    actual = [flow_info("s", "REQUIRED")]
    assert paths(desired, actual) == [
        "flows[f].executions[s] (delete)",
        "flows[f].executions[s] (create)",
    ]


def test_config_is_created_or_updated_on_listed_keys_only() -> None:
    desired = [step("r", config={"alias": "c", "config": {"k": "v"}})]
    assert paths(desired, [auth_info("r")]) == ["flows[f].executions[r].config (create)"]
    steps = desired_steps(flow(executions=desired).executions) or []
    have = ActualStep(auth_info("r"))
    have.config = AuthenticatorConfigRepresentation(id="1", alias="c", config={"k": "v", "o": "1"})
    assert plan_executions(Recorder(), "f", "p", steps, [have]) == []
    have.config = AuthenticatorConfigRepresentation(id="1", alias="c", config={"k": "old"})
    assert [c.describe() for c in plan_executions(Recorder(), "f", "p", steps, [have])] == [
        "p.executions[r].config"
    ]


def test_a_requirement_the_execution_does_not_offer_is_refused() -> None:
    info = auth_info("auth-cookie")
    info.requirement_choices = ["ALTERNATIVE", "DISABLED"]
    with pytest.raises(Problem, match=r"executions\[auth-cookie\]: requirement REQUIRED"):
        paths([step("auth-cookie")], [info])


def test_subflow_aliases_are_collected_at_every_depth() -> None:
    inner = {"subflow": {"alias": "b", "requirement": "REQUIRED", "executions": [step("x")]}}
    outer = {"subflow": {"alias": "a", "requirement": "REQUIRED", "executions": [inner]}}
    assert subflow_aliases(desired_steps(flow(executions=[outer]).executions)) == ["a", "b"]


def test_deep_levels_are_validated_when_parsed() -> None:
    deep: dict[str, Any] = {"authenticator": "x"}  # no requirement
    for depth in range(3):
        deep = {"subflow": {"alias": f"s{depth}", "requirement": "REQUIRED", "executions": [deep]}}
    with pytest.raises(ValidationError, match="set a requirement"):
        flow(executions=[deep])
    with pytest.raises(ValidationError, match="exactly one of authenticator or subflow"):
        flow(executions=[{"requirement": "REQUIRED"}])


def test_the_ownership_marker_is_short_and_stripped() -> None:
    marker = owner_marker(OWNER)
    assert len(marker) < 50 and marker != owner_marker("KeycloakRealm/ns/other")
    assert strip_marker("Mine" + marker) == "Mine"
    assert strip_marker("Mine") == "Mine"
    assert is_owned(AuthenticationFlowRepresentation(description="x" + marker), OWNER)


def test_owned_only_flows_never_touch_built_ins_or_others() -> None:
    marker = owner_marker(OWNER)
    actual = [
        AuthenticationFlowRepresentation(alias="browser", built_in=True, description=marker),
        AuthenticationFlowRepresentation(alias="mine", description="d" + marker),
        AuthenticationFlowRepresentation(alias="theirs", description="d"),
        AuthenticationFlowRepresentation(alias="kept", description="old" + marker),
    ]
    plan = flow_set(OWNER).plan([flow(alias="kept", description="new", executions=[])], actual)
    assert [f.alias for f in plan.delete] == ["mine"]
    assert [w.alias for w, _ in plan.update] == ["kept"]
    assert plan.create == []


# --- the section: flows, bindings and deletes in order ---------------------------------


class _Admin:
    """Only attribute access happens while planning (the changes are never run here)."""

    authentication = None
    realms = None


def section(
    spec: dict[str, Any], flows: list[AuthenticationFlowRepresentation], **realm: Any
) -> Any:
    parsed = KeycloakRealmSpec.model_validate(
        {"keycloakRef": {"name": "kc"}, "realmName": "r", **spec}
    )
    made = AuthenticationFlowsSection(RealmScope(_Admin(), "r", OWNER), parsed)  # type: ignore[arg-type]
    made.observed = ObservedFlows(flows, RealmRepresentation(realm="r", **realm))
    return made


BUILT_INS = [
    AuthenticationFlowRepresentation(alias=a, built_in=True, provider_id="basic-flow")
    for a in ("browser", "direct grant")
]


def planned(made: Any) -> list[str]:
    return [c.describe() for c in made.plan()]


def test_a_binding_to_a_flow_nowhere_is_refused_by_field() -> None:
    made = section({"flowBindings": {"directGrant": "nowhere"}}, BUILT_INS)
    with pytest.raises(Problem, match=r"spec.flowBindings.directGrant: no flow 'nowhere'"):
        made.plan()


def test_a_binding_to_a_listed_flow_waits_for_its_create() -> None:
    spec = {
        "authenticationFlows": [{"alias": "mine", "copyOf": "browser"}],
        "flowBindings": {"browser": "mine", "directGrant": "direct grant"},
    }
    made = section(spec, BUILT_INS, browser_flow="browser", direct_grant_flow="browser")
    changes = made.plan()
    assert [c.describe() for c in changes] == [
        "authenticationFlows[mine] (create)",
        "flowBindings.directGrant",
    ]
    assert changes[0].reobserve


def test_a_built_in_flow_listed_as_managed_is_refused() -> None:
    made = section({"authenticationFlows": [{"alias": "browser", "executions": []}]}, BUILT_INS)
    with pytest.raises(Problem, match=r"built-in flow.*copyOf: browser"):
        made.plan()


def test_repeated_subflow_aliases_are_refused() -> None:
    sub = {"subflow": {"alias": "mine", "requirement": "REQUIRED"}}
    made = section({"authenticationFlows": [{"alias": "mine", "executions": [sub]}]}, BUILT_INS)
    with pytest.raises(Problem, match=r"repeated: \['mine'\]"):
        made.plan()


def test_a_copy_of_a_listed_flow_waits_until_it_exists() -> None:
    spec = {
        "authenticationFlows": [
            {"alias": "second", "copyOf": "first"},
            {"alias": "first", "copyOf": "browser"},
        ]
    }
    assert planned(section(spec, BUILT_INS)) == ["authenticationFlows[first] (create)"]
    with pytest.raises(Problem, match=r"\[second\].copyOf: no flow 'elsewhere'"):
        section(
            {"authenticationFlows": [{"alias": "second", "copyOf": "elsewhere"}]}, BUILT_INS
        ).plan()


def test_an_unlisted_owned_flow_is_deleted_after_the_bindings_move() -> None:
    mine = AuthenticationFlowRepresentation(
        id="1", alias="mine", description="x" + owner_marker(OWNER), provider_id="basic-flow"
    )
    spec = {"authenticationFlows": [], "flowBindings": {"browser": "browser"}}
    made = section(spec, [*BUILT_INS, mine], browser_flow="mine")
    assert planned(made) == ["flowBindings.browser", "authenticationFlows[mine] (delete)"]
    # Still bound after this reconcile: the delete refuses, naming the binding.
    kept = section({"authenticationFlows": []}, [*BUILT_INS, mine], browser_flow="mine")
    delete = kept.plan()[-1]
    with pytest.raises(Problem, match="used by the realm's browser binding"):
        delete.run()


def test_a_subflow_moved_to_another_parent_is_deleted_before_it_is_made_again() -> None:
    moved = {"subflow": {"alias": "x", "requirement": "REQUIRED", "executions": []}}
    desired = [
        {"subflow": {"alias": "a", "requirement": "REQUIRED", "executions": [moved]}},
        {"subflow": {"alias": "b", "requirement": "REQUIRED", "executions": []}},
    ]
    actual = [
        flow_info("a", "REQUIRED"),
        flow_info("b", "REQUIRED"),
        flow_info("x", "REQUIRED", level=1),
    ]
    steps = desired_steps(flow(executions=desired).executions) or []
    changes = plan_tree(Recorder(), "f", "p", steps, actual_tree(actual))
    assert [c.describe() for c in changes] == [
        "p.executions[b].executions[x] (delete)",
        "p.executions[a].executions[x] (create)",
    ]


def test_a_binding_also_in_additional_settings_is_refused() -> None:
    spec = {"flowBindings": {"browser": "browser"}, "additionalSettings": {"browserFlow": "x"}}
    with pytest.raises(Problem, match=r"spec.additionalSettings.browserFlow: also set by"):
        section(spec, BUILT_INS, browser_flow="browser").plan()
