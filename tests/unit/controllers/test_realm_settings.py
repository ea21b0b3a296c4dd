"""Realm settings planning (pure): the password policy expression, policy groups
sent whole, fields the server version lacks, the additionalSettings checks and
the message bundles (authoritative per listed locale)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.api.realm_policies import PasswordPolicies
from keycloak_controller.api.realm_settings import SUB_RESOURCE_KEYS
from keycloak_controller.controllers import realm_plan, reasons
from keycloak_controller.controllers.realm_localization import LocalizationSection
from keycloak_controller.controllers.realm_section import RealmScope
from keycloak_controller.keycloak.adapters import Kind, adapter_for
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import RealmRepresentation
from keycloak_controller.keycloak.version import ServerVersion


def spec(**fields: Any) -> KeycloakRealmSpec:
    return KeycloakRealmSpec.model_validate(
        {"keycloakRef": {"name": "kc"}, "realmName": "demo", **fields}
    )


def desired(**fields: Any) -> RealmRepresentation:
    return realm_plan.desired_realm(spec(**fields), {})


def test_password_policy_expression_is_deterministic() -> None:
    every = PasswordPolicies.model_validate(
        {
            "regexPattern": "^[a-z0-9]+$",
            "hashIterations": 27500,
            "hashAlgorithm": "pbkdf2-sha512",
            "forceExpiredPasswordChange": 90,
            "passwordHistory": 3,
            "notEmail": True,
            "notUsername": True,
            "specialChars": 1,
            "digits": 2,
            "lowerCase": 1,
            "upperCase": 1,
            "maxLength": 64,
            "length": 12,
        }
    )
    assert every.expression() == (
        "length(12) and maxLength(64) and upperCase(1) and lowerCase(1) and digits(2) and "
        "specialChars(1) and notUsername(undefined) and notEmail(undefined) and "
        "passwordHistory(3) and forceExpiredPasswordChange(90) and "
        "hashAlgorithm(pbkdf2-sha512) and hashIterations(27500) and regexPattern(^[a-z0-9]+$)"
    )
    assert PasswordPolicies(not_username=False).expression() == ""
    assert desired(passwordPolicies={"length": 8}).password_policy == "length(8)"


def test_both_password_policies_are_refused() -> None:
    with pytest.raises(reasons.Problem, match=r"spec\.passwordPolicies: set either"):
        desired(passwordPolicy="length(8)", passwordPolicies={"length": 8})


def test_policies_headers_and_frontend_url_map_to_realm_fields() -> None:
    realm = desired(
        otpPolicy={"type": "hotp", "algorithm": "HmacSHA512", "digits": 8, "initialCounter": 5},
        webAuthnPolicy={"rpId": "example.com", "acceptableAaguids": ["a"]},
        webAuthnPasswordlessPolicy={"passkeysEnabled": True, "requireResidentKey": "Yes"},
        browserSecurityHeaders={"xXSSProtection": "0", "strictTransportSecurity": "max-age=1"},
        frontendUrl="https://login.example.com",
        sessions={"clientOfflineSessionIdleTimeout": 60},
    )
    body = realm.model_dump(by_alias=True, exclude_none=True)
    assert body["otpPolicyType"] == "hotp" and body["otpPolicyInitialCounter"] == 5
    assert body["webAuthnPolicyRpId"] == "example.com"
    assert body["webAuthnPolicyAcceptableAaguids"] == ["a"]
    assert body["webAuthnPolicyPasswordlessPasskeysEnabled"] is True
    assert body["webAuthnPolicyPasswordlessRequireResidentKey"] == "Yes"
    assert body["browserSecurityHeaders"] == {
        "xXSSProtection": "0",
        "strictTransportSecurity": "max-age=1",
    }
    assert body["attributes"] == {"frontendUrl": "https://login.example.com"}
    assert body["clientOfflineSessionIdleTimeout"] == 60
    with pytest.raises(reasons.Problem, match=r"spec\.attributes\.frontendUrl"):
        desired(frontendUrl="https://a", attributes={"frontendUrl": "https://b"})


def test_every_put_carries_the_policy_groups_whole() -> None:
    want = desired(displayName="New", webAuthnPolicy={"rpEntityName": "mine"})
    have = RealmRepresentation(
        realm="demo",
        display_name="Old",
        otp_policy_type="totp",
        otp_policy_digits=8,
        web_authn_policy_rp_entity_name="theirs",
        web_authn_policy_signature_algorithms=["ES256"],
        web_authn_policy_passwordless_rp_id="example.com",
        browser_security_headers={"xFrameOptions": "DENY", "xRobotsTag": "none"},
    )
    update = realm_plan.realm_update(want, have, None)
    assert update is not None
    body = update.model_dump(by_alias=True, exclude_none=True)
    assert body["displayName"] == "New"
    assert (body["otpPolicyType"], body["otpPolicyDigits"]) == ("totp", 8)
    assert body["webAuthnPolicyRpEntityName"] == "mine"
    assert body["webAuthnPolicySignatureAlgorithms"] == ["ES256"]
    assert body["webAuthnPolicyPasswordlessRpId"] == "example.com"
    assert "browserSecurityHeaders" not in body
    # One header changes: the others are sent as Keycloak has them.
    headers = desired(browserSecurityHeaders={"xRobotsTag": "noindex"})
    update = realm_plan.realm_update(headers, have, None)
    assert update is not None
    assert update.browser_security_headers == {"xFrameOptions": "DENY", "xRobotsTag": "noindex"}


def test_fields_the_server_lacks_never_cause_a_put() -> None:
    missing = adapter_for(ServerVersion.parse("26.0.7")).MISSING_FIELDS[Kind.REALM]
    want = desired(webAuthnPasswordlessPolicy={"passkeysEnabled": True})
    have = RealmRepresentation(realm="demo", enabled=True)
    assert realm_plan.realm_update(want, have, None, missing) is None
    assert realm_plan.realm_update(want, have, None) is not None


def test_an_empty_frontend_url_is_satisfied_by_no_attribute() -> None:
    want = desired(frontendUrl="")
    assert (
        realm_plan.realm_update(want, RealmRepresentation(realm="demo", enabled=True), None) is None
    )


def test_additional_settings_are_checked_and_passed_on() -> None:
    realm = desired(additionalSettings={"userManagedAccessAllowed": True, "notBefore": 5})
    assert realm.user_managed_access_allowed is True and realm.not_before == 5
    with pytest.raises(reasons.Problem) as caught:
        desired(additionalSettings={"nope": 1, "clients": [], "otpPolicyDigits": 6})
    assert caught.value.reason == reasons.INVALID_SPEC
    assert caught.value.message == (
        "spec.additionalSettings: 'clients' is a sub-resource or the realm's identity; "
        "'nope' is not a RealmRepresentation field; 'otpPolicyDigits' has a typed field; "
        "set that instead"
    )
    with pytest.raises(reasons.Problem) as caught:
        desired(additionalSettings={"notBefore": "hunter2"})
    assert "notBefore" in caught.value.message and "hunter2" not in caught.value.message
    with pytest.raises(reasons.Problem) as caught:
        realm_plan.desired_realm(
            spec(additionalSettings={"scimApiEnabled": True}), {}, None, {"scimApiEnabled": "26.6"}
        )
    assert caught.value.reason == reasons.INCOMPATIBLE_VERSION
    assert "scimApiEnabled (added in 26.6)" in caught.value.message


def test_typed_keys_cover_every_typed_setting_and_no_sub_resource() -> None:
    typed = realm_plan.typed_realm_keys()
    for key in (
        "passwordPolicy",
        "otpPolicyCodeReusable",
        "webAuthnPolicyExtraOrigins",
        "webAuthnPolicyPasswordlessPasskeysEnabled",
        "browserSecurityHeaders",
        "clientOfflineSessionMaxLifespan",
        "smtpServer",
        "bruteForceProtected",
        "loginTheme",
    ):
        assert key in typed
    assert "attributes" not in typed
    assert "groups" in SUB_RESOURCE_KEYS and "groups" not in typed


def localization_plan(messages: dict[str, dict[str, str]], have: dict[str, dict[str, str]]) -> Any:
    section = LocalizationSection(
        RealmScope(cast(KeycloakAdmin, None), "demo", "KeycloakRealm/ns/r"),
        spec(localization={"messages": messages}),
    )
    section.observed = have
    return [(c.path, c.verb.value) for c in section.plan()]


def test_message_bundles_are_authoritative_per_listed_locale_only() -> None:
    changes = localization_plan(
        {"en": {"a": "A", "b": "new"}, "de": {}},
        {"en": {"b": "old", "gone": "x"}, "de": {"stale": "y"}},
    )
    assert changes == [
        ("localization.messages[de][stale]", "delete"),
        ("localization.messages[en][gone]", "delete"),
        ("localization.messages[en][b]", "update"),
        ("localization.messages[en][a]", "create"),
    ]
    assert localization_plan({"en": {"a": "A"}}, {"en": {"a": "A"}}) == []
    assert not LocalizationSection.managed(spec(localization={"enabled": True}))
    with pytest.raises(reasons.Problem, match="not a locale"):
        localization_plan({"no such": {}}, {})
    with pytest.raises(reasons.Problem, match="not a message key"):
        localization_plan({"en": {"a/b": "x"}}, {})
