"""Pure planning of spec.identityProviders: config keys from the typed blocks, refused
clashes, equality, ownership, the update body (unmanaged keys kept, secrets revealed),
mapper type ids per provider type, the version adapters' hideOnLogin rule, and
organizations' links."""

from __future__ import annotations

from typing import Any

import pytest

from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.api.realm_identity_providers import IdentityProvider
from keycloak_controller.api.realm_organizations import Organization, OrganizationIdentityProvider
from keycloak_controller.controllers.realm_identity_provider_mappers import (
    MAPPERS,
    desired_mapper,
)
from keycloak_controller.controllers.realm_identity_providers import (
    DIGEST_PREFIX,
    IDP_OWNER,
    DesiredProvider,
    desired_config,
    new_provider,
    provider_equal,
    provider_set,
    updated_provider,
)
from keycloak_controller.controllers.realm_organization_links import (
    ORG_DOMAIN,
    REDIRECT_ON_EMAIL_MATCH,
    check_link_domains,
    link_config,
    linked_set,
)
from keycloak_controller.controllers.reasons import INVALID_SPEC, Problem
from keycloak_controller.keycloak.adapters import Kind
from keycloak_controller.keycloak.adapters.v24 import Keycloak24Adapter
from keycloak_controller.keycloak.adapters.v25 import Keycloak25Adapter
from keycloak_controller.keycloak.adapters.v26_0 import Keycloak260Adapter
from keycloak_controller.keycloak.models import (
    IdentityProviderMapperRepresentation,
    IdentityProviderRepresentation,
)
from keycloak_controller.keycloak.secrets import Secret
from keycloak_controller.keycloak.version import ServerVersion

OWNER = "KeycloakRealm/ns/realm"
REF = {"name": "idp", "key": "secret"}


def oidc(**extra: Any) -> IdentityProvider:
    return IdentityProvider.model_validate(
        {
            "alias": "corp",
            "providerId": "oidc",
            "syncMode": "FORCE",
            "oidc": {
                "authorizationUrl": "https://corp.example/auth",
                "tokenUrl": "https://corp.example/token",
                "clientId": "kc",
                "clientSecretRef": REF,
                "pkceEnabled": True,
                "clientAuthMethod": "client_secret_basic",
                "defaultScopes": "openid email",
            },
            **extra,
        }
    )


def test_typed_fields_become_config_keys_as_strings() -> None:
    config = desired_config(oidc(config={"guiOrder": "2"}))
    assert config == {
        "authorizationUrl": "https://corp.example/auth",
        "tokenUrl": "https://corp.example/token",
        "clientId": "kc",
        "pkceEnabled": "true",
        "clientAuthMethod": "client_secret_basic",
        "defaultScope": "openid email",
        "syncMode": "FORCE",
        "guiOrder": "2",
    }
    assert "clientSecret" not in config  # secrets are never part of the compared config


def test_secret_refs_join_the_typed_ref_and_config_secrets() -> None:
    provider = oidc(configSecrets={"other": {"name": "s", "key": "k"}})
    assert sorted(provider.secret_refs()) == ["clientSecret", "other"]
    spec = KeycloakRealmSpec.model_validate(
        {"keycloakRef": {"name": "kc"}, "realmName": "r", "identityProviders": [provider]}
    )
    assert {(r.name, r.key) for r in spec.secret_refs()} >= {("idp", "secret"), ("s", "k")}


@pytest.mark.parametrize(
    ("extra", "text"),
    [
        ({"config": {"clientId": "x"}}, "['clientId'] are set by typed fields"),
        ({"config": {"syncMode": "LEGACY"}}, "['syncMode'] are set by typed fields"),
        ({"config": {"clientSecret": "plain"}}, "['clientSecret'] are set by typed fields"),
        ({"configSecrets": {"clientSecret": REF}}, "clientSecretRef and configSecrets"),
        ({"config": {IDP_OWNER: "me"}}, "reserved for the controller"),
    ],
)
def test_clashing_or_reserved_keys_are_refused_by_field(extra: dict[str, Any], text: str) -> None:
    with pytest.raises(Problem) as refused:
        desired_config(oidc(**extra))
    assert refused.value.reason == INVALID_SPEC
    assert "spec.identityProviders[corp]" in refused.value.message
    assert text in refused.value.message


def test_a_plain_secret_in_config_is_refused_without_secret_refs() -> None:
    provider = IdentityProvider.model_validate(
        {
            "alias": "gh",
            "providerId": "github",
            "social": {"clientId": "id"},
            "config": {"clientSecret": "plain"},
        }
    )
    with pytest.raises(Problem, match="secrets come from configSecrets"):
        desired_config(provider)


def desired(provider: IdentityProvider, value: str = "v1") -> DesiredProvider:
    config = desired_config(provider)
    config[DIGEST_PREFIX + "clientSecret"] = f"digest-of-{value}"
    return DesiredProvider(provider, config, {"clientSecret": Secret(value)})


def stored(want: DesiredProvider, **changes: Any) -> IdentityProviderRepresentation:
    body = new_provider(want, OWNER)
    body.config = {**(body.config or {}), "clientSecret": "**********"}
    return body.model_copy(update=changes)


def test_equal_compares_only_what_the_spec_sets_and_sees_a_rotated_secret() -> None:
    want = desired(oidc(displayName="Corp", hideOnLogin=True))
    have = stored(want)
    assert provider_equal(want, have)
    assert not provider_equal(want, have.model_copy(update={"display_name": "Other"}))
    # 26.7 leaves false booleans out: unset reads as false.
    assert provider_equal(desired(oidc(linkOnly=False)), stored(desired(oidc()), link_only=None))
    assert not provider_equal(desired(oidc(), value="v2"), have)  # the digest differs
    extra = have.model_copy(update={"config": {**(have.config or {}), "foreign": "x"}})
    assert provider_equal(want, extra)


def test_new_providers_are_tagged_enabled_and_carry_the_secret_values() -> None:
    body = new_provider(desired(oidc()), OWNER)
    assert body.enabled is True and body.provider_id == "oidc"
    config = body.config or {}
    assert config[IDP_OWNER] == OWNER
    assert config["clientSecret"] == "v1"
    assert config[DIGEST_PREFIX + "clientSecret"] == "digest-of-v1"


def test_updates_keep_unmanaged_keys_and_never_send_a_managed_mask() -> None:
    want = desired(oidc(trustEmail=True), value="v2")
    fresh = stored(desired(oidc()))
    fresh.config = {**(fresh.config or {}), "kc.org.domain": "acme.example", "other": "kept"}
    body = updated_provider(want, fresh)
    config = body.config or {}
    assert config["clientSecret"] == "v2"
    assert config["other"] == "kept" and config["kc.org.domain"] == "acme.example"
    assert config[DIGEST_PREFIX + "clientSecret"] == "digest-of-v2"
    assert body.trust_email is True
    assert fresh.config and fresh.config["clientSecret"] == "**********"  # not mutated


def test_only_owned_unlisted_providers_are_deleted() -> None:
    mine = IdentityProviderRepresentation(alias="mine", config={IDP_OWNER: OWNER})
    theirs = IdentityProviderRepresentation(alias="theirs", config={})
    other = IdentityProviderRepresentation(alias="other", config={IDP_OWNER: "KeycloakRealm/x/y"})
    plan = provider_set(OWNER).plan([], [mine, theirs, other])
    assert [p.alias for p in plan.delete] == ["mine"]


@pytest.mark.parametrize(
    ("provider_id", "block", "type_id", "keys"),
    [
        ("oidc", "oidc", "oidc-user-attribute-idp-mapper", {"claim", "user.attribute"}),
        ("keycloak-oidc", "oidc", "oidc-user-attribute-idp-mapper", {"claim", "user.attribute"}),
        ("saml", "saml", "saml-user-attribute-idp-mapper", {"attribute.name", "user.attribute"}),
        ("github", "social", "github-user-attribute-mapper", {"jsonField", "userAttribute"}),
        ("microsoft", "social", "microsoft-user-attribute-mapper", {"jsonField", "userAttribute"}),
    ],
)
def test_attribute_importers_take_the_provider_types_mapper(
    provider_id: str, block: str, type_id: str, keys: set[str]
) -> None:
    settings = {
        "oidc": {"authorizationUrl": "https://a", "tokenUrl": "https://t", "clientId": "c"},
        "saml": {"singleSignOnServiceUrl": "https://s"},
        "social": {"clientId": "c"},
    }[block]
    provider = IdentityProvider.model_validate(
        {"alias": "p", "providerId": provider_id, block: settings}
    )
    mapper = provider.model_validate(
        {
            **provider.model_dump(by_alias=True, exclude_none=True),
            "mappers": [{"name": "m", "attributeImporter": {"source": "a", "userAttribute": "b"}}],
        }
    )
    want = desired_mapper(mapper, (mapper.mappers or [])[0])
    assert want.type_id == type_id and set(want.config) == keys


def test_claim_to_role_on_a_social_provider_is_refused() -> None:
    provider = IdentityProvider.model_validate(
        {
            "alias": "gh",
            "providerId": "github",
            "social": {"clientId": "c"},
            "mappers": [
                {"name": "m", "claimToRole": {"claim": "c", "claimValue": "v", "role": "r"}}
            ],
        }
    )
    with pytest.raises(Problem, match=r"mappers\[m\].claimToRole: github providers"):
        desired_mapper(provider, (provider.mappers or [])[0])


def test_mappers_are_authoritative_and_compared_by_type_and_listed_config() -> None:
    provider = oidc(
        mappers=[
            {"name": "role", "syncMode": "FORCE", "hardcodedRole": {"role": "r"}},
            {
                "name": "raw",
                "identityProviderMapper": "oidc-username-idp-mapper",
                "config": {"template": "${CLAIM.sub}"},
            },
        ]
    )
    wanted = [desired_mapper(provider, m) for m in provider.mappers or []]
    assert wanted[0].type_id == "oidc-hardcoded-role-idp-mapper"
    assert wanted[0].config == {"role": "r", "syncMode": "FORCE"}
    actual = [
        IdentityProviderMapperRepresentation(
            name="role",
            identity_provider_mapper="oidc-hardcoded-role-idp-mapper",
            config={"role": "r", "syncMode": "FORCE", "extra": "x"},
        ),
        IdentityProviderMapperRepresentation(
            name="raw", identity_provider_mapper="oidc-username-idp-mapper", config={}
        ),
        IdentityProviderMapperRepresentation(name="stray", identity_provider_mapper="x"),
    ]
    plan = MAPPERS.plan(wanted, actual)
    assert [m.name for m in plan.delete] == ["stray"]
    assert [w.name for w, _ in plan.update] == ["raw"]
    assert plan.create == []


def test_a_mapper_config_key_the_typed_kind_sets_is_refused() -> None:
    provider = oidc(
        mappers=[{"name": "m", "hardcodedRole": {"role": "r"}, "config": {"role": "other"}}]
    )
    with pytest.raises(Problem, match=r"mappers\[m\].config: \['role'\]"):
        desired_mapper(provider, (provider.mappers or [])[0])


@pytest.mark.parametrize(
    ("adapter", "as_config"),
    [
        (Keycloak24Adapter(ServerVersion.parse("24.0.5")), True),
        (Keycloak25Adapter(ServerVersion.parse("25.0.6")), True),
        (Keycloak260Adapter(ServerVersion.parse("26.0.7")), False),
    ],
)
def test_hide_on_login_is_a_config_key_before_26(adapter: Any, as_config: bool) -> None:
    payload = {"alias": "p", "hideOnLogin": True, "config": {"clientId": "c"}}
    out = adapter.outbound(Kind.IDENTITY_PROVIDER, payload)
    if as_config:
        assert "hideOnLogin" not in out and out["config"]["hideOnLoginPage"] == "true"
        back = adapter.inbound(Kind.IDENTITY_PROVIDER, out)
        assert back["hideOnLogin"] is True and "hideOnLoginPage" not in back["config"]
    else:
        assert out["hideOnLogin"] is True and "hideOnLoginPage" not in out["config"]


def test_an_organization_link_sets_only_the_keys_it_lists() -> None:
    plain = OrganizationIdentityProvider(alias="gh")
    assert link_config(plain) == {}
    full = OrganizationIdentityProvider.model_validate(
        {"alias": "gh", "domain": "acme.example", "redirectWhenEmailDomainMatches": False}
    )
    assert link_config(full) == {ORG_DOMAIN: "acme.example", REDIRECT_ON_EMAIL_MATCH: "false"}


def test_a_link_domain_outside_the_listed_domains_is_refused() -> None:
    org = Organization.model_validate(
        {
            "name": "acme",
            "domains": [{"name": "acme.example"}],
            "identityProviders": [{"alias": "gh", "domain": "other.example"}],
        }
    )
    with pytest.raises(Problem, match=r"organizations\[acme\].identityProviders\[gh\].domain"):
        check_link_domains(org)
    # Domains not managed here: Keycloak checks them (400 "Domain does not match").
    check_link_domains(org.model_copy(update={"domains": None}))


def test_links_are_authoritative() -> None:
    plan = linked_set("acme").plan(["a", "b"], ["b", "c"])
    assert plan.create == ["a"] and plan.delete == ["c"]
