"""Pure planning of spec.authorization: the spec against Keycloak's export (names), the
typed bodies (ids), creation order, protected items and the conditions for bad input.

The exported configs below are what Keycloak 24 to 26.7 return from
GET .../authz/resource-server/settings (checked on each)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from keycloak_controller.api.client import KeycloakClientSpec
from keycloak_controller.api.client_authorization import (
    AuthorizationPermission,
    AuthorizationPolicy,
    AuthorizationResource,
    ClientAuthorization,
)
from keycloak_controller.controllers import client_authorization_model as model
from keycloak_controller.controllers.childset import SetOps
from keycloak_controller.controllers.client_authorization_model import (
    ActualPolicy,
    ActualResource,
)
from keycloak_controller.controllers.client_plan import desired_client
from keycloak_controller.controllers.plan import Verb
from keycloak_controller.controllers.reasons import INVALID_SPEC, Problem
from keycloak_controller.keycloak.models import (
    PolicyRepresentation,
    ResourceRepresentation,
    ResourceServerRepresentation,
    ScopeRepresentation,
)


class FixedNames:
    """model.Names over a fixed table: `kind:name` -> id; a missing one is a Problem."""

    def __init__(self, **ids: str) -> None:
        self.ids = ids

    def _get(self, kind: str, name: str, path: str) -> str:
        found = self.ids.get(f"{kind}:{name}")
        if found is None:
            raise Problem(INVALID_SPEC, f"{path}: unknown {kind} {name!r}")
        return found

    def role(self, name: str, path: str) -> str:
        return self._get("role", name, path)

    def group(self, path_: str, path: str) -> str:
        return self._get("group", path_, path)

    def user(self, username: str, path: str) -> str:
        return self._get("user", username, path)

    def client(self, client_id: str, path: str) -> str:
        return self._get("client", client_id, path)

    def client_scope(self, name: str, path: str) -> str:
        return self._get("clientScope", name, path)

    def scope(self, name: str, path: str) -> str:
        return self._get("scope", name, path)

    def resource(self, name: str, path: str) -> str:
        return self._get("resource", name, path)

    def policy(self, name: str, path: str) -> str:
        return self._get("policy", name, path)


def policy(spec: dict[str, Any]) -> AuthorizationPolicy:
    return AuthorizationPolicy.model_validate(spec)


def exported(name: str, type_: str, config: dict[str, Any], **fields: Any) -> ActualPolicy:
    as_strings = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    rep = PolicyRepresentation.model_validate(
        {"name": name, "type": type_, "logic": "POSITIVE", "config": as_strings, **fields}
    )
    return ActualPolicy(id=f"id-{name}", rep=rep)


# Each policy type as the spec writes it and as Keycloak exports it once created.
ROUND_TRIPS: list[tuple[dict[str, Any], ActualPolicy]] = [
    (
        {"name": "r", "role": {"roles": [{"name": "editor", "required": True}, {"name": "app/a"}]}},
        exported("r", "role", {"roles": [{"id": "app/a"}, {"id": "editor", "required": True}]}),
    ),
    (
        {"name": "g", "group": {"groups": [{"path": "/staff", "extendChildren": True}]}},
        exported("g", "group", {"groups": [{"path": "/staff", "extendChildren": True}]}),
    ),
    (
        {"name": "u", "user": {"users": ["Carol", "dave"]}},
        exported("u", "user", {"users": ["dave", "carol"]}),
    ),
    (
        {"name": "c", "client": {"clients": ["app"]}},
        exported("c", "client", {"clients": ["app"]}),
    ),
    (
        {"name": "s", "clientScope": {"clientScopes": [{"name": "profile"}]}},
        exported("s", "client-scope", {"clientScopes": [{"id": "profile", "required": False}]}),
    ),
    (
        {"name": "t", "time": {"hour": 8, "hourEnd": 17, "notBefore": "2026-01-01 00:00:00"}},
        exported("t", "time", {"hour": "8", "hourEnd": "17", "nbf": "2026-01-01 00:00:00"}),
    ),
    (
        {"name": "x", "regex": {"targetClaim": "email", "pattern": ".*@acme"}},
        exported(
            "x",
            "regex",
            {"targetClaim": "email", "pattern": ".*@acme", "targetContextAttributes": "false"},
        ),
    ),
    (
        {"name": "a", "aggregate": {"policies": ["r", "g"], "decisionStrategy": "AFFIRMATIVE"}},
        exported("a", "aggregate", {"applyPolicies": ["g", "r"]}, decisionStrategy="AFFIRMATIVE"),
    ),
]


@pytest.mark.parametrize(("spec", "actual"), ROUND_TRIPS, ids=lambda v: str(v)[:20])
def test_every_policy_type_compares_equal_to_its_export(
    spec: dict[str, Any], actual: ActualPolicy
) -> None:
    assert model.policy_equal(policy(spec), actual)


@pytest.mark.parametrize(
    "change",
    [
        {"logic": "NEGATIVE"},
        {"description": "new"},
        {"role": {"roles": [{"name": "editor"}, {"name": "app/a"}]}},  # required dropped
        {"role": {"roles": [{"name": "editor", "required": True}]}},  # a role fewer
    ],
)
def test_a_changed_role_policy_differs(change: dict[str, Any]) -> None:
    spec, actual = ROUND_TRIPS[0]
    assert not model.policy_equal(policy({**spec, **change}), actual)


def test_a_changed_type_differs_and_is_replaced() -> None:
    role_policy = exported("p", "role", {"roles": [{"id": "editor"}]})
    want = policy({"name": "p", "user": {"users": ["carol"]}})
    assert not model.policy_equal(want, role_policy)


def test_the_aggregate_decision_strategy_is_compared() -> None:
    spec, actual = ROUND_TRIPS[-1]
    spec = {**spec, "aggregate": {**spec["aggregate"], "decisionStrategy": "UNANIMOUS"}}
    assert not model.policy_equal(policy(spec), actual)


def test_typed_bodies_carry_ids_never_names() -> None:
    names = FixedNames(**{"role:editor": "R1", "role:app/a": "R2", "policy:r": "P1"})
    body = model.policy_body(policy(ROUND_TRIPS[0][0]), names).model_dump(
        by_alias=True, exclude_none=True
    )
    assert body["type"] == "role"
    assert body["roles"] == [{"id": "R1", "required": True}, {"id": "R2", "required": False}]
    aggregate = model.policy_body(
        policy({"name": "a", "aggregate": {"policies": ["r"]}}), names, "A1"
    ).model_dump(by_alias=True, exclude_none=True)
    assert aggregate["policies"] == ["P1"] and aggregate["id"] == "A1"


def test_a_missing_name_is_invalid_spec_naming_the_field_and_the_name() -> None:
    with pytest.raises(Problem) as missing:
        model.policy_body(
            policy({"name": "p", "role": {"roles": [{"name": "ghost"}]}}), FixedNames()
        )
    assert missing.value.reason == INVALID_SPEC
    assert "spec.authorization.policies[p].role" in missing.value.message
    assert "ghost" in missing.value.message


def test_permissions_compare_by_names_and_send_ids() -> None:
    want = AuthorizationPermission(
        name="m", scopes=["read"], resource="doc", policies=["p"], decision_strategy="AFFIRMATIVE"
    )
    have = exported(
        "m",
        "scope",
        {"resources": ["doc"], "scopes": ["read"], "applyPolicies": ["p"]},
        decisionStrategy="AFFIRMATIVE",
    )
    assert model.permission_equal(want, have)
    assert not model.permission_equal(want.model_copy(update={"policies": ["q"]}), have)
    names = FixedNames(**{"resource:doc": "D", "scope:read": "S", "policy:p": "P"})
    body = model.permission_body(want, names).model_dump(by_alias=True, exclude_none=True)
    assert (body["type"], body["resources"], body["scopes"], body["policies"]) == (
        "scope",
        ["D"],
        ["S"],
        ["P"],
    )
    typed = AuthorizationPermission(name="t", resource_type="urn:x", policies=["p"])
    assert model.permission_equal(
        typed, exported("t", "resource", {"defaultResourceType": "urn:x", "applyPolicies": ["p"]})
    )


def test_aggregates_are_created_after_the_policies_they_name() -> None:
    wanted = [
        policy({"name": "outer", "aggregate": {"policies": ["inner"]}}),
        policy({"name": "inner", "aggregate": {"policies": ["leaf"]}}),
        policy({"name": "leaf", "user": {"users": ["u"]}}),
        policy({"name": "loop", "aggregate": {"policies": ["loop"]}}),
    ]
    order = [p.name for p in model.creation_order(wanted)]
    assert order.index("leaf") < order.index("inner") < order.index("outer")


def test_listed_sets_are_authoritative_but_users_items_are_kept() -> None:
    defaults = [
        exported("Default Policy", "js", {"code": "$evaluation.grant();"}),
        exported("shared-by-carol", "uma", {}, owner="carol-id"),
    ]
    plan = model.POLICIES.plan([], defaults)
    assert [p.rep.name for p in plan.delete] == ["Default Policy"]
    resources = [
        ActualResource("1", ResourceRepresentation(name="Default Resource")),
        ActualResource("2", ResourceRepresentation(name="carol's album"), user_owned=True),
    ]
    assert [r.rep.name for r in model.RESOURCES.plan([], resources).delete] == ["Default Resource"]
    changes = model.RESOURCES.changes(
        model.RESOURCES.plan([AuthorizationResource(name="doc")], resources),
        SetOps(create=lambda _: None, delete=lambda _: None),
    )
    assert [(c.path, c.verb) for c in changes] == [
        ("authorization.resources[Default Resource]", Verb.DELETE),
        ("authorization.resources[doc]", Verb.CREATE),
    ]


def test_unset_resource_fields_are_kept_and_set_ones_compared() -> None:
    have = ActualResource(
        "1",
        ResourceRepresentation(
            name="doc", uris=["/a", "/b"], scopes=[ScopeRepresentation(name="read")], type="t"
        ),
    )
    assert model.resource_equal(AuthorizationResource(name="doc"), have)
    assert model.resource_equal(AuthorizationResource(name="doc", uris=["/b", "/a"]), have)
    assert not model.resource_equal(AuthorizationResource(name="doc", scopes=[]), have)
    body = model.resource_body(
        AuthorizationResource(name="doc", uris=["/c"]), FixedNames(**{"scope:read": "S"}), have
    ).model_dump(by_alias=True, exclude_none=True)
    assert body["_id"] == "1" and body["uris"] == ["/c"] and body["type"] == "t"
    assert body["scopes"] == [{"id": "S", "name": "read"}]


def test_settings_change_only_what_is_set() -> None:
    have = ResourceServerRepresentation.model_validate(
        {
            "policyEnforcementMode": "ENFORCING",
            "decisionStrategy": "UNANIMOUS",
            "allowRemoteResourceManagement": True,
        }
    )
    assert model.settings_changes(ClientAuthorization(), have) == {}
    wanted = ClientAuthorization.model_validate({"policyEnforcementMode": "PERMISSIVE"})
    changes = model.settings_changes(wanted, have)
    assert changes == {"policyEnforcementMode": "PERMISSIVE"}
    body = model.settings_body(changes, have).model_dump(by_alias=True, exclude_none=True)
    assert body == {
        "policyEnforcementMode": "PERMISSIVE",
        "decisionStrategy": "UNANIMOUS",
        "allowRemoteResourceManagement": True,
    }


def test_javascript_policies_are_listed_for_the_grant_check() -> None:
    wanted = ClientAuthorization.model_validate(
        {
            "policies": [
                {"name": "js", "javascript": {"providerId": "script-grant.js"}},
                {"name": "r", "role": {"roles": [{"name": "x"}]}},
            ]
        }
    )
    assert wanted.script_policies() == ["js"]
    assert model.policy_type(wanted.policies[0]) == "script-grant.js"  # type: ignore[index]
    with pytest.raises(ValidationError):
        AuthorizationPolicy.model_validate({"name": "js", "javascript": {"providerId": "x.js"}})


def test_authorization_turns_authorization_services_on_and_only_on() -> None:
    base = {"realmRef": {"name": "r"}, "clientId": "rs", "flows": {"serviceAccounts": True}}
    with_authz = KeycloakClientSpec.model_validate({**base, "authorization": {}})
    assert desired_client(with_authz, {}).authorization_services_enabled is True
    assert (
        desired_client(KeycloakClientSpec.model_validate(base), {}).authorization_services_enabled
        is None
    )
