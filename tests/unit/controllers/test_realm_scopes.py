"""Pure planning of the scopes helper's realm sections: client scopes, the realm's
default/optional scopes, required actions and organizations."""

from __future__ import annotations

import pytest

from keycloak_controller.api.realm_organizations import Organization
from keycloak_controller.api.realm_required_actions import RequiredAction
from keycloak_controller.api.realm_scopes import ClientScope, ScopeProtocolMapper
from keycloak_controller.controllers.realm_client_scopes import (
    SCOPE_OWNER,
    desired_attributes,
    duplicates,
    mapper_set,
    new_scope,
    scope_equal,
    scope_set,
    updated_scope,
)
from keycloak_controller.controllers.realm_organizations import (
    ORG_OWNER,
    new_org,
    org_set,
    updated_org,
)
from keycloak_controller.controllers.realm_required_actions import (
    ACTIONS,
    config_equal,
    updated_action,
)
from keycloak_controller.controllers.realm_scope_defaults import defaults_set, wanted_names
from keycloak_controller.controllers.reasons import Problem
from keycloak_controller.keycloak.models import (
    ClientScopeRepresentation,
    OrganizationDomainRepresentation,
    OrganizationRepresentation,
    ProtocolMapperRepresentation,
    RequiredActionProviderRepresentation,
)

TAG = "KeycloakRealm/ns/realm"


def scope(name: str, **attributes: str) -> ClientScopeRepresentation:
    return ClientScopeRepresentation(
        id=f"id-{name}", name=name, protocol="openid-connect", attributes=attributes
    )


def test_typed_fields_are_scope_attributes_and_win_over_the_map() -> None:
    want = ClientScope.model_validate(
        {
            "name": "tier",
            "includeInTokenScope": False,
            "guiOrder": 3,
            "consentScreenText": "Tier",
            "attributes": {"gui.order": "9", "other": "x"},
        }
    )
    assert desired_attributes(want) == {
        "gui.order": "3",
        "other": "x",
        "include.in.token.scope": "false",
        "consent.screen.text": "Tier",
    }


def test_equality_is_one_sided() -> None:
    have = scope("profile", **{"consent.screen.text": "${profileScopeConsentText}", "x": "1"})
    assert scope_equal(ClientScope(name="profile"), have)
    assert not scope_equal(ClientScope(name="profile", consent_screen_text="Hi"), have)
    assert not scope_equal(ClientScope(name="profile", protocol="saml"), have)
    assert scope_equal(ClientScope(name="profile", description=""), have)


def test_only_owned_scopes_are_deleted_and_built_ins_never() -> None:
    actual = [
        scope("profile", **{SCOPE_OWNER: TAG}),  # even tagged, a built-in stays
        scope("mine", **{SCOPE_OWNER: TAG}),
        scope("theirs", **{SCOPE_OWNER: "KeycloakRealm/other/realm"}),
        scope("handmade"),
    ]
    plan = scope_set(TAG).plan([ClientScope(name="new")], actual)
    assert [s.name for s in plan.delete] == ["mine"]
    assert [s.name for s in plan.create] == ["new"]


def test_a_new_scope_is_tagged_and_an_update_adopts_nothing() -> None:
    want = ClientScope(name="profile", description="Profile")
    created = new_scope(want, TAG)
    assert created.protocol == "openid-connect"
    assert (created.attributes or {})[SCOPE_OWNER] == TAG
    have = scope("profile", **{"display.on.consent.screen": "true"})
    have.protocol_mappers = [ProtocolMapperRepresentation(name="m")]
    body = updated_scope(want, have)
    assert body.attributes == {"display.on.consent.screen": "true"}
    assert body.protocol_mappers is None and body.description == "Profile"


def test_mappers_are_authoritative() -> None:
    want = [ScopeProtocolMapper(name="a", protocol_mapper="t", config={"k": "v"})]
    have = [
        ProtocolMapperRepresentation(name="a", protocol_mapper="t", config={"k": "v", "o": "1"}),
        ProtocolMapperRepresentation(name="b", protocol_mapper="t"),
    ]
    plan = mapper_set("s").plan(want, have)
    assert not plan.create and not plan.update and [m.name for m in plan.delete] == ["b"]


def test_unknown_default_scopes_are_refused_by_field_and_pending_ones_wait() -> None:
    assert wanted_names("defaultClientScopes", ["a", "new"], {"a", "b"}, {"new"}) == ["a"]
    with pytest.raises(Problem, match=r"spec.optionalClientScopes: unknown .*'nope'"):
        wanted_names("optionalClientScopes", ["a", "nope"], {"a"}, set())


def test_realm_defaults_are_authoritative() -> None:
    plan = defaults_set(optional=False).plan(["a", "c"], ["a", "b"])
    assert plan.create == ["c"] and plan.delete == ["b"]


def test_duplicates() -> None:
    assert duplicates(["a", "b", "a"]) == ["a"]
    assert duplicates(["a"]) == []


# --- required actions ------------------------------------------------------------


def test_required_actions_are_additive_and_compared_one_sided() -> None:
    have = [
        RequiredActionProviderRepresentation(alias="A", enabled=True, priority=1),
        RequiredActionProviderRepresentation(alias="B", enabled=False, priority=2),
    ]
    plan = ACTIONS.plan(
        [
            RequiredAction(alias="A"),
            RequiredAction(alias="B", enabled=True),
            RequiredAction(alias="C"),
        ],
        have,
    )
    assert [a.alias for a in plan.create] == ["C"]
    assert [w.alias for w, _ in plan.update] == ["B"]
    assert plan.delete == []


def test_an_updated_action_keeps_what_the_spec_does_not_set() -> None:
    have = RequiredActionProviderRepresentation(
        alias="A", name="A name", enabled=True, default_action=False, priority=3
    )
    body = updated_action(RequiredAction(alias="A", priority=9), have)
    assert (body.name, body.enabled, body.default_action, body.priority) == (
        "A name",
        True,
        False,
        9,
    )
    assert config_equal({"k": "1"}, {"k": "1", "other": "x"})
    assert not config_equal({"k": "1"}, {})


# --- organizations ---------------------------------------------------------------


def test_organizations_are_owned_only_and_domains_authoritative() -> None:
    mine = OrganizationRepresentation(name="mine", attributes={ORG_OWNER: [TAG]})
    theirs = OrganizationRepresentation(name="theirs", attributes={})
    have = OrganizationRepresentation(
        name="acme",
        domains=[OrganizationDomainRepresentation(name="a.example", verified=True)],
        attributes={"x": ["1"]},
    )
    want = Organization.model_validate(
        {"name": "acme", "domains": [{"name": "a.example", "verified": True}]}
    )
    plan = org_set(TAG, compare_alias=True).plan([want], [mine, theirs, have])
    assert [o.name for o in plan.delete] == ["mine"] and not plan.update and not plan.create
    moved = Organization.model_validate({"name": "acme", "domains": [{"name": "b.example"}]})
    assert org_set(TAG, compare_alias=True).plan([moved], [have]).update


def test_alias_is_not_compared_where_the_server_lacks_it() -> None:
    have = OrganizationRepresentation(name="acme")
    want = Organization(name="acme", alias="acme")
    assert org_set(TAG, compare_alias=False).plan([want], [have]).update == []
    assert org_set(TAG, compare_alias=True).plan([want], [have]).update


def test_an_updated_organization_keeps_attributes_and_drops_members() -> None:
    have = OrganizationRepresentation(
        id="1", name="acme", attributes={ORG_OWNER: [TAG]}, members=[], identity_providers=[]
    )
    body = updated_org(Organization(name="acme", attributes={"t": ["g"]}), have)
    assert body.attributes == {ORG_OWNER: [TAG], "t": ["g"]}
    assert body.members is None and body.identity_providers is None
    created = new_org(Organization(name="n"), TAG)
    assert created.enabled is True and created.domains == []
