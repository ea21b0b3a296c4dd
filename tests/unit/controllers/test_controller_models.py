"""Pure parts of the reconcilers: desired models, diffs, ownership, reasons, Secret content."""

from __future__ import annotations

from keycloak_controller.api.client import KeycloakClientSpec
from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.api.roles import Role, RoleMappingSpec
from keycloak_controller.controllers import client_plan, realm_plan, reasons, reporting
from keycloak_controller.controllers.keycloak_reconciler import adapter_warnings
from keycloak_controller.controllers.ownership import MANAGED_BY, Owner, Ownership
from keycloak_controller.controllers.roles import ROLE_OWNER, role_set
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.adapters import adapter_for
from keycloak_controller.keycloak.models import (
    ClientRepresentation,
    ProtocolMapperRepresentation,
    RealmRepresentation,
    RoleRepresentation,
)
from keycloak_controller.keycloak.secrets import Secret

OWNER = Owner("KeycloakRealm", "team", "demo", "uid-1")


def realm_spec(**fields: object) -> KeycloakRealmSpec:
    return KeycloakRealmSpec.model_validate(
        {"keycloakRef": {"name": "kc"}, "realmName": "demo", **fields}
    )


def client_spec(**fields: object) -> KeycloakClientSpec:
    return KeycloakClientSpec.model_validate(
        {"realmRef": {"name": "demo"}, "clientId": "app", **fields}
    )


# --- ownership ----------------------------------------------------------------------


def test_ownership_decisions() -> None:
    assert OWNER.decide(None) is Ownership.UNOWNED
    assert OWNER.decide({"other": "x"}) is Ownership.UNOWNED
    assert OWNER.decide(OWNER.attributes()) is Ownership.OWNED
    recreated = Owner("KeycloakRealm", "team", "demo", "uid-2")
    assert recreated.decide(OWNER.attributes()) is Ownership.OWNED
    other = Owner("KeycloakRealm", "team", "other", "uid-3")
    assert other.decide(OWNER.attributes()) is Ownership.FOREIGN
    assert OWNER.attributes()[MANAGED_BY] == "keycloak-controller"


# --- realm ----------------------------------------------------------------------------


def test_desired_realm_maps_only_what_the_spec_sets() -> None:
    spec = realm_spec(
        displayName="Demo",
        security={"sslRequired": "external", "bruteForceDetection": {"enabled": True}},
        tokens={"accessTokenLifespan": 300},
        themes={"login": "keycloak"},
    )
    desired = realm_plan.desired_realm(spec, OWNER.attributes())
    dumped = desired.model_dump(by_alias=True, exclude_none=True)
    assert dumped["bruteForceProtected"] is True
    assert dumped["sslRequired"] == "external"
    assert dumped["loginTheme"] == "keycloak"
    assert dumped["accessTokenLifespan"] == 300
    assert "registrationAllowed" not in dumped
    assert "smtpServer" not in dumped


def test_realm_update_is_none_when_in_sync_and_minimal_otherwise() -> None:
    desired = realm_plan.desired_realm(realm_spec(displayName="Demo"), OWNER.attributes())
    actual = RealmRepresentation.model_validate(
        {
            "id": "x",
            "realm": "demo",
            "enabled": True,
            "displayName": "Demo",
            "accessTokenLifespan": 60,
            "attributes": {**OWNER.attributes(), "frontendUrl": ""},
        }
    )
    assert realm_plan.realm_update(desired, actual, None) is None
    drifted = actual.model_copy(update={"display_name": "Edited"})
    update = realm_plan.realm_update(desired, drifted, None)
    assert update is not None
    assert update.model_dump(by_alias=True, exclude_none=True) == {
        "realm": "demo",
        "displayName": "Demo",
    }


def test_smtp_password_is_sent_only_when_its_digest_changes() -> None:
    spec = realm_spec(
        smtp={
            "host": "smtp.example.com",
            "from": "no-reply@example.com",
            "auth": {"username": "u", "passwordSecretRef": {"name": "s", "key": "p"}},
        }
    )
    password = Secret("hunter2")
    digest = realm_plan.smtp_password_digest(password, "uid-1")
    assert "hunter2" not in digest
    desired = realm_plan.desired_realm(spec, OWNER.attributes(), digest)
    assert "password" not in (desired.smtp_server or {})
    actual = RealmRepresentation.model_validate(
        {
            "realm": "demo",
            "enabled": True,
            "smtpServer": {**(desired.smtp_server or {}), "password": "**********"},
            "attributes": desired.attributes,
        }
    )
    assert realm_plan.realm_update(desired, actual, password) is None
    rotated = realm_plan.smtp_password_digest(Secret("new"), "uid-1")
    desired2 = realm_plan.desired_realm(spec, OWNER.attributes(), rotated)
    update = realm_plan.realm_update(desired2, actual, Secret("new"))
    assert update is not None and (update.smtp_server or {})["password"] == "new"


def test_role_plan_creates_updates_and_deletes_only_its_own() -> None:
    tag = "KeycloakRealm/team/demo"
    actual = [
        RoleRepresentation(name="keep", description="same", attributes={ROLE_OWNER: [tag]}),
        RoleRepresentation(name="stale", attributes={ROLE_OWNER: [tag]}),
        RoleRepresentation(name="offline_access"),
        RoleRepresentation(name="changed", description="old", attributes={ROLE_OWNER: [tag]}),
    ]
    desired = [
        Role(name="keep", description="same"),
        Role(name="changed", description="new"),
        Role(name="new"),
    ]
    roles = role_set(tag)
    plan = roles.plan(desired, actual)
    assert [r.name for r in plan.create] == ["new"]
    assert [d.name for d, _ in plan.update] == ["changed"]
    assert [r.name for r in plan.delete] == ["stale"]  # offline_access is not ours
    in_sync = roles.plan([Role(name="keep", description="same")], actual[:1])
    assert not in_sync


# --- client ---------------------------------------------------------------------------


def test_desired_client_per_access_type() -> None:
    public = client_plan.desired_client(
        client_spec(accessType="Public", pkceMethod="S256"), OWNER.attributes()
    )
    assert public.public_client is True and public.bearer_only is False
    assert (public.attributes or {})[client_plan.PKCE_ATTRIBUTE] == "S256"
    assert public.client_authenticator_type is None and public.secret is None
    confidential = client_plan.desired_client(client_spec(), {}, Secret("s3cret"))
    assert confidential.public_client is False
    assert confidential.secret == "s3cret"
    bearer = client_plan.desired_client(client_spec(accessType="BearerOnly"), {})
    assert bearer.bearer_only is True and bearer.standard_flow_enabled is False


def test_client_update_keeps_server_fields_and_skips_separate_parts() -> None:
    desired = client_plan.desired_client(
        client_spec(redirectUris=["https://a/cb"]), OWNER.attributes()
    )
    actual = ClientRepresentation.model_validate(
        {
            **desired.model_dump(by_alias=True, exclude_none=True),
            "id": "uuid",
            "secret": "generated",
            "fullScopeAllowed": True,
            "protocolMappers": [{"name": "x", "protocolMapper": "y"}],
            "defaultClientScopes": ["profile"],
            "redirectUris": ["https://a/cb"],
        }
    )
    assert client_plan.client_update(desired, actual) is None
    drifted = actual.model_copy(update={"redirect_uris": ["https://evil/"]})
    body = client_plan.client_update(desired, drifted)
    assert body is not None
    assert body.redirect_uris == ["https://a/cb"]
    assert body.full_scope_allowed is True and body.secret == "generated"
    assert body.protocol_mappers is None and body.default_client_scopes is None
    assert client_plan.changed_fields(desired, drifted) == ["redirectUris"]


def test_mapper_and_scope_plans() -> None:
    spec = client_spec(
        protocolMappers=[
            {"name": "same", "protocolMapper": "m", "config": {"a": "1"}},
            {"name": "edit", "protocolMapper": "m", "config": {"a": "2"}},
            {"name": "new", "protocolMapper": "m"},
        ]
    )
    actual = [
        ProtocolMapperRepresentation(id="1", name="same", protocol_mapper="m", config={"a": "1"}),
        ProtocolMapperRepresentation(id="2", name="edit", protocol_mapper="m", config={"a": "1"}),
        ProtocolMapperRepresentation(id="3", name="extra", protocol_mapper="m"),
    ]
    plan = client_plan.MAPPERS.plan(spec.protocol_mappers or [], actual)
    assert [m.name for m in plan.create] == ["new"]
    assert [(have.id, want.config["a"]) for want, have in plan.update] == [("2", "2")]
    assert [m.id for m in plan.delete] == ["3"]
    scopes = client_plan.scope_set(optional=False).plan(["profile", "email"], ["profile", "roles"])
    assert scopes.create == ["email"] and scopes.delete == ["roles"]


def test_admin_roles_are_recognised() -> None:
    assert client_plan.admin_roles_requested(None) == []
    assert client_plan.admin_roles_requested(RoleMappingSpec(realm_roles=["viewer"])) == []
    requested = client_plan.admin_roles_requested(
        RoleMappingSpec(
            realm_roles=["admin"],
            client_roles={"realm-management": ["manage-users"], "app": ["reader"]},
        )
    )
    assert requested == ["realm role admin", "realm-management role manage-users"]


def test_credentials_secret_content() -> None:
    data = client_plan.credentials_data("app", Secret("s"), "https://kc.example/", "demo")
    assert data == {
        "client-id": "app",
        "keycloak-url": "https://kc.example",
        "realm": "demo",
        "client-secret": "s",
        "issuer": "https://kc.example/realms/demo",
        "token-endpoint": "https://kc.example/realms/demo/protocol/openid-connect/token",
        "authorization-endpoint": "https://kc.example/realms/demo/protocol/openid-connect/auth",
        "userinfo-endpoint": "https://kc.example/realms/demo/protocol/openid-connect/userinfo",
        "jwks-uri": "https://kc.example/realms/demo/protocol/openid-connect/certs",
    }
    public = client_plan.credentials_data("spa", None, "https://kc.example", "demo")
    assert "client-secret" not in public


# --- reasons and conditions -----------------------------------------------------------


def test_condition_sets_follow_kstatus_polarity() -> None:
    ready, remove = reporting.conditions_for(reporting.Outcome(True, "Succeeded", "ok"))
    assert [(c.type, c.status) for c in ready] == [("Ready", "True")]
    assert remove == ["Reconciling", "Stalled"]
    waiting, remove = reporting.conditions_for(
        reporting.Outcome(False, reasons.DEPENDENCY_NOT_READY, "wait")
    )
    assert [(c.type, c.status) for c in waiting] == [("Ready", "False"), ("Reconciling", "True")]
    assert remove == ["Stalled"]
    stuck, remove = reporting.conditions_for(
        reporting.Outcome(False, reasons.OWNERSHIP_CONFLICT, "fix")
    )
    assert [(c.type, c.status) for c in stuck] == [("Ready", "False"), ("Stalled", "True")]
    assert remove == ["Reconciling"]


def test_keycloak_errors_map_to_reasons() -> None:
    def reason(error: kc_errors.KeycloakError) -> str:
        return reasons.problem_from_keycloak(error, "doing").reason

    assert reason(kc_errors.ConnectFailed("down")) == reasons.KEYCLOAK_UNAVAILABLE
    assert reason(kc_errors.CircuitOpen("open")) == reasons.KEYCLOAK_UNAVAILABLE
    assert reason(kc_errors.BadRequest("bad", status=400)) == reasons.KEYCLOAK_REJECTED
    assert reason(kc_errors.AuthenticationFailed("no")) == reasons.AUTHENTICATION_FAILED
    assert reason(kc_errors.UnsupportedByVersion("old")) == reasons.INCOMPATIBLE_VERSION
    message = reasons.problem_from_keycloak(
        kc_errors.BadRequest("Invalid redirect uri", status=400), "syncing"
    ).message
    assert "Invalid redirect uri" in message


def test_resync_is_jittered() -> None:
    assert 540 <= reporting.jittered(600) <= 660


def test_adapter_warnings_only_for_older_versions() -> None:
    assert adapter_warnings(adapter_for("26.7.3")) == []
    assert adapter_warnings(adapter_for("24.0.5"))


def test_empty_password_policy_and_zero_event_expiration_match_what_keycloak_omits() -> None:
    """Keycloak leaves both out of the realm it returns: no PUT on every resync."""
    spec = realm_spec(passwordPolicy="", events={"enabled": True, "expiration": 0})
    desired = realm_plan.desired_realm(spec, OWNER.attributes())
    actual = RealmRepresentation.model_validate(
        {"realm": "demo", "enabled": True, "eventsEnabled": True, "attributes": OWNER.attributes()}
    )
    assert realm_plan.realm_update(desired, actual, None) is None
    # A policy or an expiration that is set is still cleared.
    set_ = actual.model_copy(update={"password_policy": "length(8)", "events_expiration": 60})
    update = realm_plan.realm_update(desired, set_, None)
    assert update is not None
    assert update.model_dump(by_alias=True, exclude_none=True) == {
        "realm": "demo",
        "passwordPolicy": "",
        "eventsExpiration": 0,
    }


def test_every_realm_setting_maps_to_a_field_of_the_canonical_model() -> None:
    """RealmRepresentation allows unknown keys, so a misspelt mapping would be sent
    and silently ignored by Keycloak: each mapped name must be a real field."""
    from keycloak_controller.api import realm as api

    known = {f.alias or name for name, f in RealmRepresentation.model_fields.items()}
    mapped: set[str] = set()
    for model in (api.LoginSettings, api.TokenSettings, api.SessionSettings):
        mapped |= {f.alias or n for n, f in model.model_fields.items()}
    mapped |= {f.alias or n for n, f in api.BruteForceDetection.model_fields.items()} - {"enabled"}
    mapped |= {f"{n}Theme" for n in api.Themes.model_fields}
    spec = realm_spec(
        displayName="D",
        displayNameHtml="<b>D</b>",
        passwordPolicy="length(8)",
        security={"sslRequired": "external", "bruteForceDetection": {"enabled": True}},
        localization={"enabled": True, "supportedLocales": ["en"], "defaultLocale": "en"},
        events={"enabled": True, "listeners": ["jboss-logging"]},
        smtp={"host": "mail", "from": "a@b.c"},
    )
    mapped |= set(realm_plan.desired_realm(spec, {}).model_dump(by_alias=True, exclude_none=True))
    assert mapped - known == set()
