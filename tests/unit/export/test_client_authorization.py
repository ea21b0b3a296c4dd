"""The export of authorization services: Keycloak's resource server export back to
`spec.authorization`.

The input is what Keycloak 26.7.3 answered for the hand-made `orders` client (GET
.../authz/resource-server/settings). Each exported item is compared with the
controller's own equality functions against the item it came from: an adopted
client must be seen as equal, so the export really is the inverse.
"""

from __future__ import annotations

from typing import Any

from keycloak_controller.controllers import client_authorization_model as model
from keycloak_controller.export.client_authorization import export_authorization
from keycloak_controller.keycloak.models import ResourceServerRepresentation


def policy(name: str, kind: str, config: dict[str, str], **more: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": kind,
        "logic": "POSITIVE",
        "decisionStrategy": "UNANIMOUS",
        "config": config,
        **more,
    }


SERVER: dict[str, Any] = {
    "allowRemoteResourceManagement": False,
    "policyEnforcementMode": "PERMISSIVE",
    "decisionStrategy": "AFFIRMATIVE",
    "scopes": [{"name": "read"}, {"name": "write", "displayName": "Write"}],
    "resources": [
        {
            "name": "order",
            "uris": ["/orders/*"],
            "type": "urn:orders:order",
            "scopes": [{"name": "read"}, {"name": "write"}],
            "ownerManagedAccess": False,
            "displayName": "An order",
            "attributes": {"tier": ["gold"]},
        },
        {"name": "invoice", "uris": [], "scopes": [{"name": "read"}], "ownerManagedAccess": True},
        {"name": "alice's album", "owner": {"name": "alice"}, "scopes": []},
    ],
    "policies": [
        policy(
            "viewers",
            "role",
            {"roles": '[{"id":"viewer","required":false},{"id":"app/editor","required":true}]'},
            description="Has viewer",
        ),
        policy("ada-only", "user", {"users": '["ada"]'}),
        policy("from-api", "client", {"clients": '["api"]'}),
        policy("staff", "group", {"groups": '[{"path":"/staff","extendChildren":true}]'}),
        policy("scoped", "client-scope", {"clientScopes": '[{"id":"team","required":true}]'}),
        policy("not-in-2020", "time", {"year": "2020", "yearEnd": "2020"}, logic="NEGATIVE"),
        policy("window", "time", {"nbf": "2026-01-01 00:00:00", "hour": "8", "hourEnd": "17"}),
        policy(
            "acme",
            "regex",
            {"targetClaim": "email", "pattern": ".*@acme", "targetContextAttributes": "false"},
        ),
        policy(
            "viewer-or-ada",
            "aggregate",
            {"applyPolicies": '["viewers","ada-only"]'},
            decisionStrategy="AFFIRMATIVE",
        ),
        policy("scripted", "script-check.js", {}),
        policy(
            "order-access",
            "resource",
            {"resources": '["order"]', "applyPolicies": '["viewers"]'},
            decisionStrategy="AFFIRMATIVE",
        ),
        policy(
            "invoice-read",
            "scope",
            {
                "resources": '["invoice"]',
                "scopes": '["read"]',
                "applyPolicies": '["viewer-or-ada"]',
            },
            description="Ada reads invoices",
        ),
        policy(
            "typed",
            "resource",
            {"defaultResourceType": "urn:orders:order", "applyPolicies": '["staff"]'},
        ),
    ],
}


def exported() -> Any:
    return export_authorization(ResourceServerRepresentation.model_validate(SERVER))


def test_settings_that_differ_from_a_new_resource_server_are_exported() -> None:
    authorization = exported().authorization
    server = ResourceServerRepresentation.model_validate(SERVER)
    assert model.settings_changes(authorization, server) == {}
    assert authorization.policy_enforcement_mode is not None
    default = export_authorization(
        ResourceServerRepresentation.model_validate(
            {
                "allowRemoteResourceManagement": True,
                "policyEnforcementMode": "ENFORCING",
                "decisionStrategy": "UNANIMOUS",
            }
        )
    ).authorization
    assert (
        default.policy_enforcement_mode,
        default.decision_strategy,
        default.allow_remote_resource_management,
    ) == (None, None, None)
    # Empty lists stay lists: authoritative, so a copy drops what it did not have.
    assert default.policies == [] and default.resources == []


def test_every_exported_item_equals_its_source_to_the_controller() -> None:
    authorization = exported().authorization
    by_name = {
        p["name"]: ResourceServerRepresentation.model_validate({"policies": [p]})
        for p in SERVER["policies"]
    }
    for want in authorization.policies or []:
        rep = (by_name[want.name].policies or [])[0]
        assert model.policy_equal(want, model.ActualPolicy("id", rep)), want.name
    for perm in authorization.permissions or []:
        rep = (by_name[perm.name].policies or [])[0]
        assert model.permission_equal(perm, model.ActualPolicy("id", rep)), perm.name
    resources = ResourceServerRepresentation.model_validate(SERVER).resources or []
    for resource in authorization.resources or []:
        rep = next(r for r in resources if r.name == resource.name)
        assert model.resource_equal(resource, model.ActualResource("id", rep)), resource.name
    scopes = ResourceServerRepresentation.model_validate(SERVER).scopes or []
    for scope in authorization.scopes or []:
        assert model.scope_equal(scope, next(s for s in scopes if s.name == scope.name))


def test_users_resources_are_left_out_and_every_policy_type_comes_out() -> None:
    result = exported()
    authorization = result.authorization
    assert result.notes == []
    assert [r.name for r in authorization.resources or []] == ["invoice", "order"]
    policies = {p.name: p.kind() for p in authorization.policies or []}
    assert policies == {
        "acme": "regex",
        "ada-only": "user",
        "from-api": "client",
        "not-in-2020": "time",
        "scoped": "clientScope",
        "scripted": "javascript",
        "staff": "group",
        "viewer-or-ada": "aggregate",
        "viewers": "role",
        "window": "time",
    }
    permissions = {p.name: p.kind() for p in authorization.permissions or []}
    assert permissions == {"invoice-read": "scope", "order-access": "resource", "typed": "resource"}
    invoice_read = next(p for p in authorization.permissions or [] if p.name == "invoice-read")
    assert (invoice_read.resource, invoice_read.scopes) == ("invoice", ["read"])


def with_policies(*extra: dict[str, Any]) -> Any:
    server = {**SERVER, "policies": [*SERVER["policies"], *extra]}
    return export_authorization(ResourceServerRepresentation.model_validate(server))


def test_an_untyped_policy_leaves_policies_and_permissions_unmanaged() -> None:
    # Keycloak 24 to 26.0 give a new resource server an uploaded-JavaScript Default Policy.
    result = with_policies(
        policy("Default Policy", "js", {"code": "$evaluation.grant()"}),
        policy("uses-it", "aggregate", {"applyPolicies": '["Default Policy"]'}),
    )
    authorization = result.authorization
    # A partial authoritative list would delete them: unset, and the permissions too.
    assert authorization.policies is None and authorization.permissions is None
    assert authorization.resources is not None and authorization.scopes is not None
    assert "Default Policy (js)" in " ".join(result.notes)


def test_a_permission_the_crd_cannot_say_leaves_only_permissions_unmanaged() -> None:
    result = with_policies(
        policy(
            "two-resources",
            "scope",
            {"resources": '["order","invoice"]', "scopes": '["read"]', "applyPolicies": "[]"},
        )
    )
    assert result.authorization.permissions is None
    assert result.authorization.policies is not None
    assert "two-resources" in " ".join(result.notes)
