"""Realm settings and policies on every Keycloak version: the structured password
policy is enforced by Keycloak (a short password is refused, a good one accepted),
OTP, WebAuthn, passkeys, security headers, the frontend URL, client offline
sessions and additionalSettings land, follow changes, are put back after drift,
are reported by an Observe resource, and a second pass writes nothing. Bad
input is refused at admission or with a condition naming the field."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from kubernetes import client as k8s

from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import RealmRepresentation, UserRepresentation
from keycloak_controller.keycloak.secrets import Secret
from keycloak_controller.keycloak.version import ServerVersion
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    keycloak_requests,
    realm_object,
    running_controllers,
    wait_idle,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint

TIMEOUT = 90.0

SETTINGS: dict[str, Any] = {
    "passwordPolicies": {"length": 10, "digits": 1, "notUsername": True, "passwordHistory": 2},
    "otpPolicy": {
        "type": "totp",
        "algorithm": "HmacSHA256",
        "digits": 8,
        "period": 45,
        "lookAheadWindow": 2,
        "codeReusable": True,
    },
    "webAuthnPolicy": {
        "rpEntityName": "example",
        "signatureAlgorithms": ["ES256", "RS256"],
        "attestationConveyancePreference": "direct",
        "authenticatorAttachment": "cross-platform",
        "requireResidentKey": "No",
        "userVerificationRequirement": "preferred",
        "createTimeout": 30,
        "avoidSameAuthenticatorRegister": True,
        "extraOrigins": ["https://app.example.com"],
    },
    "webAuthnPasswordlessPolicy": {
        "rpEntityName": "example passkeys",
        "userVerificationRequirement": "required",
        "requireResidentKey": "Yes",
        "passkeysEnabled": True,
    },
    "browserSecurityHeaders": {
        "xFrameOptions": "DENY",
        "xRobotsTag": "noindex",
        "referrerPolicy": "same-origin",
    },
    "frontendUrl": "https://login.example.com",
    "sessions": {"clientOfflineSessionIdleTimeout": 3600, "clientOfflineSessionMaxLifespan": 7200},
    "additionalSettings": {"userManagedAccessAllowed": True},
    "localization": {
        "enabled": True,
        "supportedLocales": ["en", "de"],
        "defaultLocale": "en",
        "messages": {
            "en": {"loginAccountTitle": "Welcome to Example Corp", "extra": "one"},
            "de": {"loginAccountTitle": "Willkommen"},
        },
    },
}


def login_page(endpoint: KeycloakEndpoint, realm: str) -> requests.Response:
    """The login page of the realm's account console, in English."""
    # Redirect URIs are relative to the realm's frontend URL (set by SETTINGS);
    # the account console requires PKCE.
    account = f"https://login.example.com/realms/{realm}/account/"
    response = requests.get(
        f"{endpoint.base_url}/realms/{realm}/protocol/openid-connect/auth",
        params={
            "client_id": "account-console",
            "redirect_uri": account,
            "response_type": "code",
            "scope": "openid",
            "ui_locales": "en",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        },
        timeout=30,
    )
    response.raise_for_status()
    return response


def in_sync_message(kube: Kube, ns: str, name: str) -> str:
    condition = kube.condition("keycloakrealms", ns, name, "InSync") or {}
    return str(condition.get("message", "")) if condition.get("status") == "False" else ""


def test_realm_settings_lifecycle_on_every_version(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    endpoint = keycloak_any_version
    kube = Kube(crds)
    ns = kube.namespace(unique_name("settings"))
    with (
        KeycloakAdmin.with_password(
            endpoint.base_url, endpoint.admin_username, endpoint.admin_password
        ) as admin,
        running_controllers(crds, [ns], resync_period=2.0) as manager,
    ):
        realm = ready_realm(ns, endpoint=endpoint, timeout=TIMEOUT, **SETTINGS).realm_name
        passkeys = admin.version >= ServerVersion.parse("26.3")

        got = admin.realms.get(realm)
        assert got.password_policy == (
            "length(10) and digits(1) and notUsername(undefined) and passwordHistory(2)"
        )
        assert (got.otp_policy_algorithm, got.otp_policy_digits) == ("HmacSHA256", 8)
        assert (got.otp_policy_period, got.otp_policy_look_ahead_window) == (45, 2)
        assert got.otp_policy_code_reusable is True
        assert got.web_authn_policy_signature_algorithms == ["ES256", "RS256"]
        assert got.web_authn_policy_attestation_conveyance_preference == "direct"
        assert got.web_authn_policy_extra_origins == ["https://app.example.com"]
        assert got.web_authn_policy_passwordless_require_resident_key == "Yes"
        assert got.web_authn_policy_passwordless_passkeys_enabled is (True if passkeys else None)
        headers = got.browser_security_headers or {}
        assert (headers["xFrameOptions"], headers["xRobotsTag"]) == ("DENY", "noindex")
        assert (got.attributes or {})["frontendUrl"] == "https://login.example.com"
        assert got.client_offline_session_idle_timeout == 3600
        assert got.client_offline_session_max_lifespan == 7200
        assert got.user_managed_access_allowed is True
        texts = admin.realms.localization_texts
        assert texts(realm, "en") == {
            "loginAccountTitle": "Welcome to Example Corp",
            "extra": "one",
        }
        assert texts(realm, "de") == {"loginAccountTitle": "Willkommen"}
        # Behaviour: the login page shows the realm's text instead of the theme's.
        page = login_page(endpoint, realm)
        assert "Welcome to Example Corp" in page.text
        # Behaviour: the login page is served with the realm's security headers, and its
        # form posts to the realm's frontend URL.
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["X-Robots-Tag"] == "noindex"
        assert "https://login.example.com/realms/" in page.text
        # A locale the spec does not list is left alone.
        admin.realms.set_localization_texts(realm, "fr", {"loginAccountTitle": "Bienvenue"})

        # Behaviour: Keycloak enforces the rendered policy.
        user_id = admin.users.create(realm, UserRepresentation(username="pat", enabled=True))
        with pytest.raises(kc_errors.BadRequest):
            admin.users.reset_password(realm, user_id, Secret("short1"))
        with pytest.raises(kc_errors.BadRequest):
            admin.users.reset_password(realm, user_id, Secret("nodigitsatall"))
        admin.users.reset_password(realm, user_id, Secret("long-enough-1"))

        # A second pass (and the 2 s resyncs) writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        kube.patch("keycloakrealms", ns, "realm", {"metadata": {"annotations": {"poke": "1"}}})
        time.sleep(3)
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes

        # Change; and a header no longer listed is left as it is.
        kube.patch(
            "keycloakrealms",
            ns,
            "realm",
            {
                "spec": {
                    "passwordPolicies": {"length": 14},
                    "otpPolicy": {"digits": 6},
                    "browserSecurityHeaders": {"xRobotsTag": None},
                    "localization": {
                        "messages": {"en": {"extra": None, "loginAccountTitle": "Hello there"}}
                    },
                }
            },
        )
        wait_until(
            lambda: (
                admin.realms.get(realm).password_policy
                == "length(14) and digits(1) and notUsername(undefined) and passwordHistory(2)"
            ),
            TIMEOUT,
            "the changed policy",
        )
        got = admin.realms.get(realm)
        assert (got.otp_policy_digits, got.otp_policy_period) == (6, 45)
        # A PUT of other fields keeps the WebAuthn policies (Keycloak resets what is left out).
        assert got.web_authn_policy_signature_algorithms == ["ES256", "RS256"]
        assert got.web_authn_policy_passwordless_rp_entity_name == "example passkeys"
        assert (got.browser_security_headers or {})["xRobotsTag"] == "noindex"
        with pytest.raises(kc_errors.BadRequest):
            admin.users.reset_password(realm, user_id, Secret("twelve-char1"))
        wait_until(
            lambda: texts(realm, "en") == {"loginAccountTitle": "Hello there"},
            TIMEOUT,
            "the changed texts, 'extra' removed",
        )
        assert texts(realm, "fr") == {"loginAccountTitle": "Bienvenue"}
        assert texts(realm, "de") == {"loginAccountTitle": "Willkommen"}

        # Drift behind the controller's back is put back.
        admin.realms.update(
            realm,
            RealmRepresentation(
                realm=realm,
                otp_policy_type="totp",
                otp_policy_digits=8,
                password_policy="length(1)",
                browser_security_headers={
                    **(got.browser_security_headers or {}),
                    "xFrameOptions": "SAMEORIGIN",
                },
            ),
        )
        admin.realms.set_localization_texts(realm, "en", {"loginAccountTitle": "x", "new": "y"})
        wait_until(
            lambda: (
                texts(realm, "en") == {"loginAccountTitle": "Hello there"}
                and (r := admin.realms.get(realm)).otp_policy_digits == 6
                and (r.password_policy or "").startswith("length(14)")
                and (r.browser_security_headers or {}).get("xFrameOptions") == "DENY"
                and r.otp_policy_algorithm == "HmacSHA256"
                and r.web_authn_policy_rp_entity_name == "example"
            ),
            TIMEOUT,
            "the drift reverted",
        )

        # Observe reports a difference and writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        kube.create(
            "keycloakrealms",
            ns,
            realm_object(
                "observer",
                "kc",
                realm,
                managementPolicy="Observe",
                otpPolicy={"digits": 8},
                webAuthnPolicy={"rpEntityName": "other"},
                localization={"messages": {"de": {"loginAccountTitle": "Hallo"}}},
            ),
        )
        wait_until(lambda: bool(in_sync_message(kube, ns, "observer")), TIMEOUT, "InSync=False")
        message = in_sync_message(kube, ns, "observer")
        assert "otpPolicyDigits" in message and "webAuthnPolicyRpEntityName" in message
        assert "localization.messages[de][loginAccountTitle]" in message
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes
        assert admin.realms.get(realm).otp_policy_digits == 6


def test_bad_settings_are_refused(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("badsettings"))
    with running_controllers(crds, [ns]):
        made = ready_realm(ns, timeout=TIMEOUT)

        def refused_at_admission(**spec: Any) -> str:
            with pytest.raises(k8s.ApiException) as caught:
                kube.create("keycloakrealms", ns, realm_object("bad", "kc", "bad", **spec))
            return str(caught.value.body)

        both = refused_at_admission(passwordPolicy="length(8)", passwordPolicies={"length": 8})
        assert "not both" in both
        assert "' and '" in refused_at_admission(passwordPolicies={"regexPattern": "a and b"})

        def condition_after(settings: dict[str, Any]) -> dict[str, Any]:
            kube.patch("keycloakrealms", ns, made.realm, {"spec": {"additionalSettings": settings}})
            wait_until(
                lambda: (
                    (kube.condition("keycloakrealms", ns, made.realm) or {}).get("reason")
                    == "InvalidSpec"
                ),
                TIMEOUT,
                "InvalidSpec",
            )
            condition: dict[str, Any] = kube.condition("keycloakrealms", ns, made.realm)
            return condition

        message = condition_after({"noSuchSetting": 1, "displayName": "x", "clients": []})[
            "message"
        ]
        assert "'clients' is a sub-resource" in message
        assert "spec.additionalSettings" in message
        assert "'noSuchSetting' is not a RealmRepresentation field" in message
        assert "'displayName' has a typed field" in message
        kube.patch("keycloakrealms", ns, made.realm, {"spec": {"additionalSettings": None}})
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, made.realm), TIMEOUT, "Ready")
        message = condition_after({"userManagedAccessAllowed": "secret-looking-value"})["message"]
        assert "userManagedAccessAllowed" in message and "secret-looking" not in message
