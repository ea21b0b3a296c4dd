"""User federation planning without a server: spec fields as component config, the
one-sided comparison, the records kept as realm attributes, and the mapper set."""

from __future__ import annotations

from typing import Any, cast

import pytest
from pydantic import ValidationError

from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.api.realm_federation import (
    KerberosProvider,
    LdapMapper,
    LdapProvider,
    UserFederation,
    user_federation_secret_refs,
)
from keycloak_controller.controllers.childset import Removal, SetOps
from keycloak_controller.controllers.plan import Verb
from keycloak_controller.controllers.realm_federation import (
    PROVIDERS_REMOVAL,
    ObservedFederation,
    UserFederationSection,
    token_digest,
)
from keycloak_controller.controllers.realm_federation_config import (
    TYPED_LDAP_KEYS,
    config_differs,
    kerberos_config,
    ldap_config,
    ldap_defaults,
    mapper_config,
    mapper_defaults,
    mapper_provider,
    merged,
)
from keycloak_controller.controllers.realm_federation_mappers import (
    MAPPERS_REMOVAL,
    mapper_set,
)
from keycloak_controller.controllers.realm_federation_records import (
    RECORD_PREFIX,
    ProviderRecord,
    read_records,
)
from keycloak_controller.controllers.realm_section import RealmScope
from keycloak_controller.controllers.reasons import Problem
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import ComponentRepresentation
from keycloak_controller.keycloak.secrets import Secret


def provider(**fields: Any) -> LdapProvider:
    return LdapProvider.model_validate(
        {"name": "corp", "connectionUrl": "ldap://ldap:389", "usersDn": "ou=people", **fields}
    )


def test_every_typed_field_maps_to_a_key_additional_config_may_not_set() -> None:
    everything = provider(
        enabled=True,
        priority=1,
        bindDn="cn=admin",
        bindCredentialSecretRef={"name": "s", "key": "k"},
        usernameAttribute="uid",
        rdnAttribute="uid",
        uuidAttribute="entryUUID",
        userObjectClasses=["inetOrgPerson"],
        userSearchFilter="(uid=*)",
        searchScope="Subtree",
        pagination=True,
        batchSize=10,
        startTls=True,
        useTruststoreSpi=False,
        connectionPooling=False,
        connectionTimeoutMillis=1,
        readTimeoutMillis=1,
        importUsers=True,
        syncRegistrations=True,
        trustEmail=True,
        sync={"fullSyncPeriodSeconds": 60, "changedUsersSyncPeriodSeconds": 0},
    )
    config = ldap_config(everything)
    assert set(config) | {"bindCredential"} == TYPED_LDAP_KEYS
    assert config["searchScope"] == ["2"]
    assert config["useTruststoreSpi"] == ["never"]
    assert config["authType"] == ["simple"]
    assert config["fullSyncPeriod"] == ["60"]
    assert config["changedSyncPeriod"] == ["-1"]  # 0: off, as Keycloak spells it


def test_unset_fields_are_not_compared_and_defaults_fill_a_new_provider() -> None:
    minimal = provider()
    config = ldap_config(minimal)
    assert "usernameLDAPAttribute" not in config and "trustEmail" not in config
    assert config["authType"] == ["none"]  # no bindDn: anonymous
    defaults = ldap_defaults(provider(vendor="ad"))
    assert defaults["uuidLDAPAttribute"] == ["objectGUID"]
    assert defaults["usernameLDAPAttribute"] == ["cn"]


def test_comparison_is_one_sided_and_object_classes_are_lists() -> None:
    want = ldap_config(provider(userObjectClasses=["inetOrgPerson", "organizationalPerson"]))
    have = {
        **want,
        "userObjectClasses": ["inetOrgPerson,organizationalPerson"],
        "krbPrincipalAttribute": ["krb5PrincipalName"],
        "bindCredential": ["**********"],
    }
    assert config_differs(want, have) == []
    assert config_differs({**want, "trustEmail": ["true"]}, have) == ["trustEmail"]
    assert config_differs({"bindCredential": ["new"]}, have) == []  # never compared


def test_merge_keeps_keycloak_keys_and_sets_the_spec_ones() -> None:
    assert merged({"a": ["1"], "b": ["2"]}, {"b": ["3"]}) == {"a": ["1"], "b": ["3"]}


def test_mapper_kinds() -> None:
    group = LdapMapper.model_validate(
        {"name": "g", "group": {"groupsDn": "ou=groups", "membershipsFromMemberOf": True}}
    )
    assert mapper_provider(group) == "group-ldap-mapper"
    assert mapper_config(group) == {
        "groups.dn": ["ou=groups"],
        "user.roles.retrieve.strategy": ["GET_GROUPS_FROM_USER_MEMBEROF_ATTRIBUTE"],
    }
    assert mapper_defaults(group)["group.object.classes"] == ["groupOfNames"]
    role = LdapMapper.model_validate(
        {"name": "r", "role": {"rolesDn": "ou=roles", "clientId": "app", "mode": "IMPORT"}}
    )
    assert mapper_config(role) == {
        "roles.dn": ["ou=roles"],
        "mode": ["IMPORT"],
        "use.realm.roles.mapping": ["false"],
        "client.id": ["app"],
    }
    custom = LdapMapper.model_validate(
        {"name": "c", "custom": {"providerId": "hardcoded-ldap-role-mapper", "config": {"x": "1"}}}
    )
    assert (mapper_provider(custom), mapper_config(custom)) == (
        "hardcoded-ldap-role-mapper",
        {"x": ["1"]},
    )


def test_mappers_are_authoritative_and_a_changed_provider_is_an_update() -> None:
    assert MAPPERS_REMOVAL is Removal.AUTHORITATIVE and PROVIDERS_REMOVAL is Removal.OWNED_ONLY
    listed = [
        LdapMapper.model_validate(
            {
                "name": "username",
                "userAttribute": {"userModelAttribute": "username", "ldapAttribute": "uid"},
            }
        )
    ]
    actual = [
        ComponentRepresentation(
            name="username",
            provider_id="user-attribute-ldap-mapper",
            config={"user.model.attribute": ["username"], "ldap.attribute": ["cn"]},
        ),
        ComponentRepresentation(name="email", provider_id="user-attribute-ldap-mapper"),
    ]
    plan = mapper_set("corp").plan(listed, actual)
    assert [m.name for m in plan.delete] == ["email"]  # a default, unlisted: removed
    assert [w.name for w, _ in plan.update] == ["username"]  # ldap.attribute differs
    changes = mapper_set("corp").changes(plan, _noop_ops())
    assert [(c.path, c.verb) for c in changes] == [
        ("userFederation.ldap[corp].mappers[email]", Verb.DELETE),
        ("userFederation.ldap[corp].mappers[username]", Verb.UPDATE),
    ]


def _noop_ops() -> Any:
    return SetOps(lambda _w: None, lambda _h: None, lambda _w, _h: None)


def test_records_round_trip_and_tolerate_hand_edits() -> None:
    record = ProviderRecord(owner="KeycloakRealm/ns/r", bind_credential="abc")
    attributes = {
        RECORD_PREFIX + "id1": record.to_text(),
        RECORD_PREFIX + "id2": "not json",
        "other": "x",
    }
    records = read_records(attributes)
    assert records == {"id1": record, "id2": ProviderRecord()}
    assert record.with_(sync_request="t").sync_request == "t"
    assert token_digest("a") != token_digest("b")


def test_secret_refs_cover_every_bind_credential() -> None:
    fed = UserFederation.model_validate(
        {
            "ldap": [
                {
                    "name": "a",
                    "connectionUrl": "ldaps://x",
                    "usersDn": "o",
                    "bindDn": "cn=a",
                    "bindCredentialSecretRef": {"name": "s", "key": "k"},
                },
                {"name": "b", "connectionUrl": "ldap://x", "usersDn": "o"},
            ]
        }
    )
    assert [(r.name, r.key) for r in user_federation_secret_refs(fed)] == [("s", "k")]
    assert list(user_federation_secret_refs(None)) == []


@pytest.mark.parametrize("url", ["http://ldap", "ldap://", "ldap://a http://b", "ldapx://a"])
def test_connection_urls_must_be_ldap_or_ldaps(url: str) -> None:
    with pytest.raises(ValidationError):
        provider(connectionUrl=url)


def test_several_ldap_urls_are_allowed() -> None:
    assert provider(connectionUrl="ldaps://a:636 ldap://b").connection_url


def test_kerberos_config() -> None:
    kerberos = KerberosProvider.model_validate(
        {
            "name": "k",
            "kerberosRealm": "EXAMPLE.ORG",
            "serverPrincipal": "HTTP/sso@EXAMPLE.ORG",
            "keyTab": "/etc/krb5.keytab",
            "editMode": "UNSYNCED",
        }
    )
    assert kerberos_config(kerberos) == {
        "kerberosRealm": ["EXAMPLE.ORG"],
        "serverPrincipal": ["HTTP/sso@EXAMPLE.ORG"],
        "keyTab": ["/etc/krb5.keytab"],
        "editMode": ["UNSYNCED"],
    }
    with pytest.raises(ValidationError):  # a path on the Keycloak server, not a file's content
        KerberosProvider.model_validate({**kerberos.model_dump(by_alias=True), "keyTab": "x"})


# --- the section's plan over a hand-made observation ---------------------------------


def section_for(federation: dict[str, Any], observed: Any) -> Any:
    spec = KeycloakRealmSpec.model_validate(
        {"keycloakRef": {"name": "kc"}, "realmName": "r", "userFederation": federation}
    )
    scope = RealmScope(cast(KeycloakAdmin, object()), "r", "KeycloakRealm/ns/realm")
    section = UserFederationSection(scope, spec)
    section.observed = observed
    return section


def observation(**kw: Any) -> Any:
    return ObservedFederation(
        kw.pop("realm_id", "rid"), kw.pop("records", {}), kw.pop("ldap", []), [], **kw
    )


LDAP_SPEC = {"name": "corp", "connectionUrl": "ldap://x", "usersDn": "ou=p"}


def component(name: str, cid: str, spec: dict[str, Any]) -> ComponentRepresentation:
    return ComponentRepresentation(
        id=cid, name=name, provider_id="ldap", config=ldap_config(provider(**spec))
    )


def paths(changes: list[Any]) -> list[str]:
    return [c.describe() for c in changes]


def test_a_new_provider_is_created_and_reobserved() -> None:
    changes = section_for({"ldap": [LDAP_SPEC]}, observation()).plan()
    assert paths(changes) == ["userFederation.ldap[corp] (create)"]
    assert changes[0].reobserve


def test_an_in_sync_provider_plans_nothing_and_a_handled_sync_request_is_not_repeated() -> None:
    spec = {**LDAP_SPEC, "syncRequest": "one"}
    have = component("corp", "c1", spec)
    records = {"c1": ProviderRecord(sync_request=token_digest("one"))}
    assert section_for({"ldap": [spec]}, observation(ldap=[have], records=records)).plan() == []
    again = section_for(
        {"ldap": [{**spec, "syncRequest": "two"}]}, observation(ldap=[have], records=records)
    )
    assert paths(again.plan()) == ["userFederation.ldap[corp].syncRequest"]


def test_only_owned_unlisted_providers_are_deleted() -> None:
    ours = component("ours", "c1", LDAP_SPEC)
    theirs = component("theirs", "c2", LDAP_SPEC)
    records = {
        "c1": ProviderRecord(owner="KeycloakRealm/ns/realm"),
        "c2": ProviderRecord(owner="other"),
    }
    changes = section_for({"ldap": []}, observation(ldap=[ours, theirs], records=records)).plan()
    assert paths(changes) == ["userFederation.ldap[ours] (delete)"]


def test_a_changed_credential_digest_is_an_update_and_a_refused_bind_blocks_everything() -> None:
    spec = {**LDAP_SPEC, "bindDn": "cn=a", "bindCredentialSecretRef": {"name": "s", "key": "k"}}
    have = component("corp", "c1", spec)
    records = {"c1": ProviderRecord(bind_credential="old")}
    credentials = {"corp": (Secret("pw"), "new")}
    observed = observation(ldap=[have], records=records, credentials=credentials)
    assert paths(section_for({"ldap": [spec]}, observed).plan()) == ["userFederation.ldap[corp]"]
    observed.bind_problems["corp"] = Problem("LdapBindFailed", "refused")
    with pytest.raises(Problem):
        section_for({"ldap": [spec]}, observed).plan()


def test_typed_keys_in_additional_config_are_refused() -> None:

    spec = {**LDAP_SPEC, "additionalConfig": {"trustEmail": "true", "cachePolicy": "NO_CACHE"}}
    with pytest.raises(Problem, match=r"\['trustEmail'\]"):
        section_for({"ldap": [spec]}, observation()).plan()


def test_records_of_deleted_providers_are_dropped() -> None:
    have = component("corp", "c1", LDAP_SPEC)
    records = {"c1": ProviderRecord(), "gone": ProviderRecord(owner="KeycloakRealm/ns/realm")}
    changes = section_for({"ldap": [LDAP_SPEC]}, observation(ldap=[have], records=records)).plan()
    assert paths(changes) == ["userFederation (records of deleted providers) (delete)"]


def test_the_realm_indexes_the_bind_secret_so_its_change_reconciles() -> None:
    spec = KeycloakRealmSpec.model_validate(
        {
            "keycloakRef": {"name": "kc"},
            "realmName": "r",
            "userFederation": {
                "ldap": [
                    {
                        **LDAP_SPEC,
                        "bindDn": "cn=a",
                        "bindCredentialSecretRef": {"name": "ldap-bind", "key": "password"},
                    }
                ]
            },
        }
    )
    assert ("ldap-bind", "password") in {(r.name, r.key) for r in spec.secret_refs()}
