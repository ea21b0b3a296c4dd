"""The export of the further realm sections (flows, required actions, user profile, key
providers and components, client policies, organizations, Kerberos): pure mapping.

Where a controller has a pure plan or comparison, the exported spec goes back
through it: planning it against what Keycloak had must find nothing to change (the
export really is the inverse), and what a new realm has never reaches the manifest.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from pydantic import ValidationError

from keycloak_controller.api.realm_components import KEY_PROVIDER_TYPE
from keycloak_controller.api.realm_flows import MAX_SUBFLOW_DEPTH
from keycloak_controller.api.realm_organizations import Organization
from keycloak_controller.api.realm_user_profile import UserProfile
from keycloak_controller.controllers.realm_client_policies import policy_equal, profile_equal
from keycloak_controller.controllers.realm_components import config_equal, wanted_key_provider
from keycloak_controller.controllers.realm_federation_config import kerberos_config
from keycloak_controller.controllers.realm_flow_executions import (
    ExecutionWriter,
    actual_tree,
    desired_steps,
    plan_executions,
)
from keycloak_controller.controllers.realm_flows import owner_marker
from keycloak_controller.controllers.realm_organizations import org_equal
from keycloak_controller.controllers.realm_required_actions import action_equal
from keycloak_controller.controllers.realm_user_profile import desired_profile
from keycloak_controller.export import defaults
from keycloak_controller.export.client_policies import export_client_policies
from keycloak_controller.export.federation import export_kerberos
from keycloak_controller.export.flows import builtin_signature, export_flow
from keycloak_controller.export.organizations import export_organization
from keycloak_controller.export.realm_components import (
    CLIENT_REGISTRATION_POLICY,
    export_components,
)
from keycloak_controller.export.realm_misc import export_required_action, export_user_profile
from keycloak_controller.export.realm_settings import SecretStub, export_settings
from keycloak_controller.keycloak.models import (
    AuthenticationExecutionInfoRepresentation,
    AuthenticationFlowRepresentation,
    AuthenticatorConfigRepresentation,
    ClientPoliciesRepresentation,
    ClientProfilesRepresentation,
    ComponentRepresentation,
    IdentityProviderRepresentation,
    OrganizationRepresentation,
    RealmRepresentation,
    RequiredActionProviderRepresentation,
    UPConfig,
)

REALM_ID = "realm-id"


def info(level: int, **fields: Any) -> AuthenticationExecutionInfoRepresentation:
    return AuthenticationExecutionInfoRepresentation.model_validate({"level": level, **fields})


def flat_flow() -> list[AuthenticationExecutionInfoRepresentation]:
    """A copied browser flow, changed: Keycloak's flattened list, subflows by level."""
    return [
        info(0, id="1", providerId="auth-cookie", requirement="ALTERNATIVE"),
        info(
            0,
            id="2",
            providerId="identity-provider-redirector",
            requirement="ALTERNATIVE",
            authenticationConfig="c1",
        ),
        info(
            0,
            id="3",
            authenticationFlow=True,
            displayName="mine forms",
            description="The forms",
            requirement="ALTERNATIVE",
        ),
        info(1, id="4", providerId="auth-username-password-form", requirement="REQUIRED"),
        info(1, id="5", authenticationFlow=True, displayName="mine otp", requirement="CONDITIONAL"),
        info(2, id="6", providerId="conditional-user-configured", requirement="REQUIRED"),
        info(2, id="7", providerId="auth-otp-form", requirement="REQUIRED"),
        info(
            0,
            id="8",
            authenticationFlow=True,
            providerId="registration-page-form",
            displayName="mine form",
            requirement="DISABLED",
        ),
    ]


def test_a_flow_is_exported_whole_and_plans_to_no_change() -> None:
    tree = actual_tree(flat_flow())
    tree[1].config = AuthenticatorConfigRepresentation(
        id="c1", alias="corp", config={"defaultProvider": "corp"}
    )
    flow = AuthenticationFlowRepresentation(
        alias="mine", description="Mine" + owner_marker("tag"), provider_id="basic-flow"
    )
    exported = export_flow(flow, tree)
    assert exported.alias == "mine" and exported.copy_of is None
    assert exported.description == "Mine"  # the controller's marker left out
    assert exported.provider_id is None  # basic-flow is the default
    steps = exported.executions or []
    assert [s.authenticator or (s.subflow.alias if s.subflow else "") for s in steps] == [
        "auth-cookie",
        "identity-provider-redirector",
        "mine forms",
        "mine form",
    ]
    assert steps[1].config is not None and steps[1].config.config == {"defaultProvider": "corp"}
    forms = steps[2].subflow
    assert forms is not None and forms.description == "The forms"
    otp = (forms.executions or [])[1].subflow
    assert otp is not None and otp.requirement == "CONDITIONAL"
    assert [e.authenticator for e in otp.executions or []] == [
        "conditional-user-configured",
        "auth-otp-form",
    ]
    assert steps[3].subflow is not None and steps[3].subflow.provider_id == "form-flow"
    desired = desired_steps(exported.executions)
    assert desired is not None
    writer = ExecutionWriter(cast(Any, None), "demo")  # the changes are never run
    assert plan_executions(writer, "mine", "authenticationFlows[mine]", desired, tree) == []


def test_a_bound_flow_is_a_flow_binding_not_an_additional_setting() -> None:
    have = RealmRepresentation.model_validate(
        {
            "realm": "demo",
            "enabled": True,
            "browserFlow": "mine",
            "directGrantFlow": "direct grant",
            "organizationsEnabled": True,
        }
    )
    exported = export_settings(have, "demo-secrets")
    assert exported.fields["flow_bindings"] == {"browser": "mine"}
    assert exported.fields["organizations_enabled"] is True
    assert "additional_settings" not in exported.fields


def action(alias: str, **fields: Any) -> RequiredActionProviderRepresentation:
    enabled, default_action, priority = defaults.REQUIRED_ACTIONS.get(alias, (True, False, 10))
    body = {
        "alias": alias,
        "providerId": alias,
        "name": alias.title(),
        "enabled": enabled,
        "defaultAction": default_action,
        "priority": priority,
        "config": {},
        **fields,
    }
    return RequiredActionProviderRepresentation.model_validate(body)


def test_required_actions_as_a_new_realm_has_them_are_left_out() -> None:
    assert all(export_required_action(action(a)) is None for a in defaults.REQUIRED_ACTIONS)


def test_a_changed_required_action_gives_only_what_changed() -> None:
    have = action("UPDATE_PASSWORD", priority=5, config={"max_auth_age": "600"})
    exported = export_required_action(have)
    assert exported is not None
    assert exported.model_dump(exclude_none=True) == {
        "alias": "UPDATE_PASSWORD",
        "priority": 5,
        "config": {"max_auth_age": "600"},
    }
    assert action_equal(exported, have)


def test_a_required_action_a_new_realm_lacks_names_its_provider_to_register() -> None:
    have = action("custom-terms", providerId="terms-v2", name="Terms v2", enabled=False)
    exported = export_required_action(have)
    assert exported is not None
    assert (exported.provider_id, exported.name, exported.enabled) == (
        "terms-v2",
        "Terms v2",
        False,
    )
    assert action_equal(exported, have)


def fresh_profile(**extra: Any) -> dict[str, Any]:
    return {
        "attributes": list(defaults.USER_PROFILE_ATTRIBUTES.values()),
        "groups": list(defaults.USER_PROFILE_GROUPS.values()),
        **extra,
    }


def test_a_new_realms_user_profile_exports_to_nothing() -> None:
    untyped: list[str] = []
    assert export_user_profile(UPConfig.model_validate(fresh_profile()), untyped) is None
    assert untyped == []


def test_a_user_profile_attribute_comes_back_through_the_controllers_merge() -> None:
    doc = fresh_profile(unmanagedAttributePolicy="ADMIN_VIEW")
    department = {
        "name": "department",
        "displayName": "Department",
        "validations": {"length": {"min": 2}},
        "permissions": {"view": ["admin"], "edit": ["admin"]},
        "group": "work",
        "defaultValue": "none",
    }
    doc["attributes"] = [*doc["attributes"], department]
    doc["groups"] = [*doc["groups"], {"name": "work", "displayHeader": "Work"}]
    untyped: list[str] = []
    exported = export_user_profile(UPConfig.model_validate(doc), untyped)
    assert isinstance(exported, UserProfile)
    assert [a.name for a in exported.attributes or []] == ["department"]
    assert [g.name for g in exported.groups or []] == ["work"]
    assert untyped == ["department.defaultValue"]  # no typed field: named for a note
    _, changed = desired_profile(exported, doc)
    assert changed == []


def component(name: str, provider_id: str, config: dict[str, list[str]], **fields: Any) -> Any:
    return ComponentRepresentation.model_validate(
        {
            "id": name,
            "name": name,
            "providerId": provider_id,
            "providerType": fields.pop("providerType", KEY_PROVIDER_TYPE),
            "parentId": REALM_ID,
            "config": config,
            **fields,
        }
    )


def fresh_components() -> list[ComponentRepresentation]:
    keys = [component(n, p, dict(c)) for n, (p, c) in defaults.KEY_PROVIDERS.items()]
    policies = [
        component(
            name,
            provider,
            {k: list(reversed(v)) for k, v in config.items()},  # Keycloak's order varies
            providerType=CLIENT_REGISTRATION_POLICY,
            subType=sub_type,
        )
        for (name, provider, sub_type), config in defaults.CLIENT_REGISTRATION_POLICIES.items()
    ]
    return keys + policies


def test_a_new_realms_keys_and_registration_policies_are_left_out() -> None:
    secrets: list[SecretStub] = []
    found = export_components(fresh_components(), REALM_ID, "demo-secrets", secrets)
    assert found.key_providers == [] and found.components == [] and found.skipped == []
    assert secrets == []


def test_a_changed_default_key_is_listed_by_name_with_only_the_change() -> None:
    have = fresh_components()
    have[0] = component("rsa-generated", "rsa-generated", {"priority": ["110"]})
    found = export_components(have, REALM_ID, "demo-secrets", [])
    [provider] = found.key_providers
    assert provider.model_dump(exclude_none=True, by_alias=True) == {
        "name": "rsa-generated",
        "priority": 110,
        "rsaGenerated": {},
    }
    assert config_equal(wanted_key_provider(provider).config, have[0].config)


def test_extra_keys_are_typed_and_an_imported_key_refers_to_secret_stubs() -> None:
    es = component(
        "es384",
        "ecdsa-generated",
        {"priority": ["90"], "ecdsaEllipticCurveKey": ["P-384"], "active": ["false"]},
    )
    imported = component(
        "imported",
        "rsa",
        {"priority": ["50"], "privateKey": ["**********"], "certificate": ["MIIC..."]},
    )
    keystore = component("jks", "java-keystore", {"priority": ["1"]})
    secrets: list[SecretStub] = []
    found = export_components([es, imported, keystore], REALM_ID, "demo-secrets", secrets)
    by_name = {p.name: p for p in found.key_providers}
    assert by_name["es384"].ecdsa_generated is not None
    assert by_name["es384"].ecdsa_generated.curve == "P-384"
    assert by_name["es384"].active is False
    assert config_equal(wanted_key_provider(by_name["es384"]).config, es.config)
    rsa = by_name["imported"].rsa
    assert rsa is not None and rsa.certificate_secret_ref is not None
    assert rsa.private_key_secret_ref.key == "key-imported-private-key"
    assert [s.key for s in secrets] == ["key-imported-private-key", "key-imported-certificate"]
    assert "**********" not in repr(found) and "MIIC" not in repr(found)
    assert found.skipped == ["jks (key provider java-keystore)"]


def test_a_masked_component_value_becomes_a_secret_reference() -> None:
    custom = component(
        "notify",
        "webhook",
        {"url": ["https://hooks.example.test"], "token": ["**********"]},
        providerType="org.example.Notifier",
    )
    secrets: list[SecretStub] = []
    [exported] = export_components([custom], REALM_ID, "demo-secrets", secrets).components
    assert exported.config == {"url": ["https://hooks.example.test"]}
    assert exported.config_secrets is not None
    assert exported.config_secrets["token"].key == "component-notify-token"
    assert [s.key for s in secrets] == ["component-notify-token"]


def test_client_policies_come_back_equal_through_the_controllers_comparison() -> None:
    profiles = ClientProfilesRepresentation.model_validate(
        {
            "profiles": [
                {
                    "name": "pkce",
                    "executors": [
                        {"executor": "pkce-enforcer", "configuration": {"auto-configure": True}}
                    ],
                }
            ],
            "globalProfiles": [{"name": "fapi-1-baseline", "executors": []}],
        }
    )
    policies = ClientPoliciesRepresentation.model_validate(
        {
            "policies": [
                {
                    "name": "public",
                    "enabled": True,
                    "mode": "DEFAULT",
                    "conditions": [
                        {"condition": "client-access-type", "configuration": {"type": ["public"]}}
                    ],
                    "profiles": ["pkce"],
                }
            ]
        }
    )
    exported = export_client_policies(profiles, policies)
    assert exported is not None
    assert [p.name for p in exported.profiles or []] == ["pkce"]  # global ones are not the realm's
    [policy] = exported.policies or []
    assert policy.mode is None  # Keycloak's default
    assert profile_equal((exported.profiles or [])[0], (profiles.profiles or [])[0])
    assert policy_equal(policy, (policies.policies or [])[0])
    empty = export_client_policies(ClientProfilesRepresentation(), ClientPoliciesRepresentation())
    assert empty is None


def test_an_organization_with_its_link_and_without_the_controllers_stamp() -> None:
    org = OrganizationRepresentation.model_validate(
        {
            "id": "o1",
            "name": "Acme",
            "alias": "Acme",
            "enabled": True,
            "domains": [{"name": "acme.test", "verified": True}],
            "attributes": {"tier": ["gold"], "keycloak-controller.dev/organization-owner": ["x"]},
        }
    )
    link = IdentityProviderRepresentation.model_validate(
        {
            "alias": "corp",
            "config": {
                "kc.org.domain": "acme.test",
                "kc.org.broker.redirect.mode.email-matches": "true",
            },
        }
    )
    exported = export_organization(org, [link])
    assert isinstance(exported, Organization)
    assert exported.alias is None and exported.enabled is None  # Keycloak's defaults
    assert exported.attributes == {"tier": ["gold"]}
    [idp] = exported.identity_providers or []
    assert (idp.alias, idp.domain, idp.redirect_when_email_domain_matches) == (
        "corp",
        "acme.test",
        True,
    )
    equal = cast(Any, org_equal(True))
    assert equal(exported.model_copy(update={"identity_providers": None}), org)


def test_a_kerberos_provider_comes_back_as_the_controller_writes_it() -> None:
    config = {
        "enabled": ["true"],
        "priority": ["1"],
        "kerberosRealm": ["EXAMPLE.TEST"],
        "serverPrincipal": ["HTTP/sso.example.test@EXAMPLE.TEST"],
        "keyTab": ["/etc/http.keytab"],
        "allowPasswordAuthentication": ["true"],
        "editMode": ["UNSYNCED"],
        "debug": ["false"],
        "cachePolicy": ["NO_CACHE"],
    }
    untyped: list[str] = []
    exported = export_kerberos(component("spnego", "kerberos", config, providerType="x"), untyped)
    assert kerberos_config(exported) == {k: v for k, v in config.items() if k != "cachePolicy"}
    assert untyped == ["spnego.cachePolicy"]


def browser_infos(**requirements: str) -> list[AuthenticationExecutionInfoRepresentation]:
    """A new realm's browser flow as Keycloak lists it, with `requirements` by key (every
    step as an authenticator: the signature names subflows and authenticators alike)."""
    out = []
    for entry in defaults.BUILTIN_FLOWS["browser"]:
        level, key, requirement = entry.split("|")
        was = "DISABLED" if requirement == "*" else requirement
        out.append(info(int(level), providerId=key, requirement=requirements.get(key, was)))
    return out


def test_a_built_in_flow_changed_by_hand_is_told_apart_from_keycloaks_own_change() -> None:
    fresh = defaults.BUILTIN_FLOWS["browser"]
    assert builtin_signature(browser_infos()) == fresh
    # Keycloak itself switches Kerberos when a Kerberos provider is added.
    assert builtin_signature(browser_infos(**{"auth-spnego": "ALTERNATIVE"})) == fresh
    assert builtin_signature(browser_infos(**{"auth-otp-form": "REQUIRED"})) != fresh


def test_a_default_attribute_that_lost_a_field_is_named_for_a_note() -> None:
    doc = fresh_profile()
    email = {k: v for k, v in defaults.USER_PROFILE_ATTRIBUTES["email"].items() if k != "required"}
    doc["attributes"] = [email if a["name"] == "email" else a for a in doc["attributes"]]
    untyped: list[str] = []
    exported = export_user_profile(UPConfig.model_validate(doc), untyped)
    assert exported is not None and [a.name for a in exported.attributes or []] == ["email"]
    assert untyped == ["email.required (removed)"]


def test_a_changed_component_whose_name_is_not_unique_is_left_out_with_a_note() -> None:
    have = fresh_components()
    at = next(
        i
        for i, c in enumerate(have)
        if c.name == "Allowed Client Scopes" and c.sub_type == "authenticated"
    )
    have[at] = have[at].model_copy(update={"config": {"allow-default-scopes": ["false"]}})
    found = export_components(have, REALM_ID, "demo-secrets", [])
    assert found.components == []
    assert found.skipped == [
        "Allowed Client Scopes (allowed-client-templates, authenticated: its name is not unique)"
    ]


def test_a_flow_nested_deeper_than_the_crd_allows_is_refused_not_cut() -> None:
    """export_flows notes such a flow and leaves it out, rather than exporting a part."""
    deep = [
        info(level, authenticationFlow=True, displayName=f"level {level}", requirement="REQUIRED")
        for level in range(MAX_SUBFLOW_DEPTH + 2)
    ]
    flow = AuthenticationFlowRepresentation(alias="deep", provider_id="basic-flow")
    with pytest.raises(ValidationError):
        export_flow(flow, actual_tree(deep))
