"""What a freshly created realm of Keycloak 26.7.3 holds, so the export can leave it out.

Captured once from a realm created with only its name on the canonical version
(`RealmRepresentation(realm=..., enabled=True)`, read back through the Admin
API); reading it from the live server would need a scratch realm, a write the
export must not make. Older versions differ in a few values (a value equal to
their default is then exported, which is harmless: it is what the realm has).
"""

from __future__ import annotations

from typing import Any

# Scalar RealmRepresentation fields (id, realm and notBefore removed).
REALM_SCALARS: dict[str, Any] = {
    "accessCodeLifespan": 60,
    "accessCodeLifespanLogin": 1800,
    "accessCodeLifespanUserAction": 300,
    "accessTokenLifespan": 300,
    "accessTokenLifespanForImplicitFlow": 900,
    "actionTokenGeneratedByAdminLifespan": 43200,
    "actionTokenGeneratedByUserLifespan": 300,
    "adminEventsDetailsEnabled": False,
    "adminEventsEnabled": False,
    "adminPermissionsEnabled": False,
    "browserFlow": "browser",
    "bruteForceProtected": False,
    "bruteForceStrategy": "MULTIPLE",
    "clientAuthenticationFlow": "clients",
    "clientOfflineSessionIdleTimeout": 0,
    "clientOfflineSessionMaxLifespan": 0,
    "clientSessionIdleTimeout": 0,
    "clientSessionMaxLifespan": 0,
    "defaultSignatureAlgorithm": "RS256",
    "directGrantFlow": "direct grant",
    "dockerAuthenticationFlow": "docker auth",
    "duplicateEmailsAllowed": False,
    "editUsernameAllowed": False,
    "enabled": True,
    "eventsEnabled": False,
    "failureFactor": 30,
    "firstBrokerLoginFlow": "first broker login",
    "internationalizationEnabled": False,
    "loginWithEmailAllowed": True,
    "maxDeltaTimeSeconds": 43200,
    "maxFailureWaitSeconds": 900,
    "maxSecondaryAuthFailures": 0,
    "maxTemporaryLockouts": 0,
    "minimumQuickLoginWaitSeconds": 60,
    "oauth2DeviceCodeLifespan": 600,
    "oauth2DevicePollingInterval": 5,
    "offlineSessionIdleTimeout": 2592000,
    "offlineSessionMaxLifespan": 5184000,
    "offlineSessionMaxLifespanEnabled": False,
    "organizationsEnabled": False,
    "otpPolicyAlgorithm": "HmacSHA1",
    "otpPolicyCodeReusable": False,
    "otpPolicyDigits": 6,
    "otpPolicyInitialCounter": 0,
    "otpPolicyLookAheadWindow": 1,
    "otpPolicyPeriod": 30,
    "otpPolicyType": "totp",
    "permanentLockout": False,
    "quickLoginCheckMilliSeconds": 1000,
    "refreshTokenMaxReuse": 0,
    "registrationAllowed": False,
    "registrationEmailAsUsername": False,
    "registrationFlow": "registration",
    "rememberMe": False,
    "resetCredentialsFlow": "reset credentials",
    "resetPasswordAllowed": False,
    "revokeRefreshToken": False,
    "scimApiEnabled": False,
    "sslRequired": "external",
    "ssoSessionIdleTimeout": 1800,
    "ssoSessionIdleTimeoutRememberMe": 0,
    "ssoSessionMaxLifespan": 36000,
    "ssoSessionMaxLifespanRememberMe": 0,
    "userManagedAccessAllowed": False,
    "verifiableCredentialsEnabled": False,
    "verifyEmail": False,
    "waitIncrementSeconds": 60,
    "webAuthnPolicyAttestationConveyancePreference": "not specified",
    "webAuthnPolicyAuthenticatorAttachment": "not specified",
    "webAuthnPolicyAvoidSameAuthenticatorRegister": False,
    "webAuthnPolicyCreateTimeout": 0,
    "webAuthnPolicyPasswordlessAttestationConveyancePreference": "not specified",
    "webAuthnPolicyPasswordlessAuthenticatorAttachment": "not specified",
    "webAuthnPolicyPasswordlessAvoidSameAuthenticatorRegister": False,
    "webAuthnPolicyPasswordlessCreateTimeout": 0,
    "webAuthnPolicyPasswordlessRequireResidentKey": "not specified",
    "webAuthnPolicyPasswordlessResidentKey": "required",
    "webAuthnPolicyPasswordlessRpEntityName": "keycloak",
    "webAuthnPolicyPasswordlessRpId": "",
    "webAuthnPolicyPasswordlessUserVerificationRequirement": "required",
    "webAuthnPolicyRequireResidentKey": "not specified",
    "webAuthnPolicyResidentKey": "not specified",
    "webAuthnPolicyRpEntityName": "keycloak",
    "webAuthnPolicyRpId": "",
    "webAuthnPolicyUserVerificationRequirement": "not specified",
}

# Plain list fields.
REALM_LISTS: dict[str, list[str]] = {
    "enabledEventTypes": [],
    "eventsListeners": ["jboss-logging"],
    "otpSupportedApplications": [
        "totpAppFreeOTPName",
        "totpAppGoogleName",
        "totpAppMicrosoftAuthenticatorName",
    ],
    "requiredCredentials": ["password"],
    "webAuthnPolicyAcceptableAaguids": [],
    "webAuthnPolicyExtraOrigins": [],
    "webAuthnPolicyPasswordlessAcceptableAaguids": [],
    "webAuthnPolicyPasswordlessExtraOrigins": [],
    "webAuthnPolicyPasswordlessSignatureAlgorithms": ["ES256", "RS256"],
    "webAuthnPolicySignatureAlgorithms": ["ES256", "RS256"],
}

# Realm attributes a new realm gets.
REALM_ATTRIBUTES: dict[str, str] = {
    "cibaAuthRequestedUserHint": "login_hint",
    "cibaBackchannelTokenDeliveryMode": "poll",
    "cibaExpiresIn": "120",
    "cibaInterval": "5",
    "oauth2DeviceCodeLifespan": "600",
    "oauth2DevicePollingInterval": "5",
    "parRequestUriLifespan": "60",
    "realmReusableOtpCode": "false",
}

BROWSER_SECURITY_HEADERS: dict[str, str] = {
    "contentSecurityPolicy": "frame-src 'self'; frame-ancestors 'self'; object-src 'none';",
    "contentSecurityPolicyReportOnly": "",
    "referrerPolicy": "no-referrer",
    "strictTransportSecurity": "max-age=31536000; includeSubDomains",
    "xContentTypeOptions": "nosniff",
    "xFrameOptions": "SAMEORIGIN",
    "xRobotsTag": "none",
}

DEFAULT_CLIENT_SCOPES: frozenset[str] = frozenset(
    [
        "AuthnContextClassRef",
        "acr",
        "basic",
        "email",
        "profile",
        "role_list",
        "roles",
        "saml_organization",
        "web-origins",
    ]
)
OPTIONAL_CLIENT_SCOPES: frozenset[str] = frozenset(
    ["address", "microprofile-jwt", "offline_access", "organization", "phone"]
)
# Client scopes, clients and realm roles every new realm has (default-roles-<realm> apart).
BUILTIN_SCOPES: frozenset[str] = frozenset(
    [
        "AuthnContextClassRef",
        "acr",
        "address",
        "basic",
        "email",
        "microprofile-jwt",
        "offline_access",
        "organization",
        "phone",
        "profile",
        "role_list",
        "roles",
        "saml_organization",
        "service_account",
        "web-origins",
    ]
)
BUILTIN_CLIENTS: frozenset[str] = frozenset(
    [
        "account",
        "account-console",
        "admin-cli",
        "broker",
        "realm-management",
        "security-admin-console",
    ]
)
BUILTIN_ROLES: frozenset[str] = frozenset(["offline_access", "uma_authorization"])

# Required actions a new realm registers: alias -> (enabled, defaultAction, priority);
# none has config.
REQUIRED_ACTIONS: dict[str, tuple[bool, bool, int]] = {
    "TERMS_AND_CONDITIONS": (False, False, 20),
    "UPDATE_PROFILE": (True, False, 40),
    "VERIFY_EMAIL": (True, False, 50),
    "CONFIGURE_TOTP": (True, False, 54),
    "UPDATE_PASSWORD": (True, False, 57),
    "delete_account": (False, False, 60),
    "UPDATE_EMAIL": (False, False, 70),
    "webauthn-register": (True, False, 80),
    "webauthn-register-passwordless": (True, False, 90),
    "VERIFY_PROFILE": (True, False, 100),
    "delete_credential": (True, False, 110),
    "idp_link": (True, False, 120),
    "CONFIGURE_RECOVERY_AUTHN_CODES": (True, False, 130),
    "update_user_locale": (True, False, 1000),
}

# Key providers a new realm generates: name -> (providerId, config as Keycloak answers
# it, secret keys apart). Absent enabled/active mean true.
KEY_PROVIDERS: dict[str, tuple[str, dict[str, list[str]]]] = {
    "rsa-generated": ("rsa-generated", {"priority": ["100"]}),
    "rsa-enc-generated": ("rsa-enc-generated", {"priority": ["100"], "algorithm": ["RSA-OAEP"]}),
    "hmac-generated-hs512": ("hmac-generated", {"priority": ["100"], "algorithm": ["HS512"]}),
    "aes-generated": ("aes-generated", {"priority": ["100"]}),
}

_MAPPER_TYPES = [
    "oidc-address-mapper",
    "oidc-full-name-mapper",
    "oidc-sha256-pairwise-sub-mapper",
    "oidc-usermodel-attribute-mapper",
    "oidc-usermodel-property-mapper",
    "saml-role-list-mapper",
    "saml-user-attribute-mapper",
    "saml-user-property-mapper",
]
# The client registration policies a new realm has: (name, providerId, subType) -> config
# (list values compared as sets: Keycloak keeps them in no particular order).
CLIENT_REGISTRATION_POLICIES: dict[tuple[str, str, str], dict[str, list[str]]] = {
    ("Allowed Registration Web Origins", "registration-web-origins", "anonymous"): {},
    ("Allowed Registration Web Origins", "registration-web-origins", "authenticated"): {},
    ("Allowed Protocol Mapper Types", "allowed-protocol-mappers", "anonymous"): {
        "allowed-protocol-mapper-types": _MAPPER_TYPES
    },
    ("Allowed Protocol Mapper Types", "allowed-protocol-mappers", "authenticated"): {
        "allowed-protocol-mapper-types": _MAPPER_TYPES
    },
    ("Full Scope Disabled", "scope", "anonymous"): {},
    ("Allowed Client Scopes", "allowed-client-templates", "anonymous"): {
        "allow-default-scopes": ["true"]
    },
    ("Allowed Client Scopes", "allowed-client-templates", "authenticated"): {
        "allow-default-scopes": ["true"]
    },
    ("Trusted Hosts", "trusted-hosts", "anonymous"): {
        "host-sending-registration-request-must-match": ["true"],
        "client-uris-must-match": ["true"],
    },
    ("Consent Required", "consent-required", "anonymous"): {},
    ("Max Clients Limit", "max-clients", "anonymous"): {"max-clients": ["200"]},
}

_PERMISSIONS = {"view": ["admin", "user"], "edit": ["admin", "user"]}
_REQUIRED_FOR_USERS = {"roles": ["user"]}
# A new realm's user profile document (UPConfig as JSON), attribute by attribute.
USER_PROFILE_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "username": {
        "name": "username",
        "displayName": "${username}",
        "validations": {
            "length": {"min": 3, "max": 255},
            "username-prohibited-characters": {},
            "up-username-not-idn-homograph": {},
        },
        "permissions": _PERMISSIONS,
        "multivalued": False,
    },
    "email": {
        "name": "email",
        "displayName": "${email}",
        "validations": {"email": {}, "length": {"max": 255}},
        "required": _REQUIRED_FOR_USERS,
        "permissions": _PERMISSIONS,
        "multivalued": False,
    },
    **{
        name: {
            "name": name,
            "displayName": "${" + name + "}",
            "validations": {"length": {"max": 255}, "person-name-prohibited-characters": {}},
            "required": _REQUIRED_FOR_USERS,
            "permissions": _PERMISSIONS,
            "multivalued": False,
        }
        for name in ("firstName", "lastName")
    },
}
USER_PROFILE_GROUPS: dict[str, dict[str, Any]] = {
    "user-metadata": {
        "name": "user-metadata",
        "displayHeader": "User metadata",
        "displayDescription": "Attributes, which refer to user metadata",
    }
}

# The built-in flows of a new realm, as '<level>|<execution key>|<requirement>' in order
# (subflows by alias, authenticators by provider id), to tell a built-in flow changed
# by hand (which the spec cannot say) from one as Keycloak made it. Captured on 26.7.3.
BUILTIN_FLOWS: dict[str, tuple[str, ...]] = {
    "browser": (
        "0|auth-cookie|ALTERNATIVE",
        "0|auth-spnego|*",
        "0|identity-provider-redirector|ALTERNATIVE",
        "0|Organization|ALTERNATIVE",
        "1|Browser - Conditional Organization|CONDITIONAL",
        "2|conditional-user-configured|REQUIRED",
        "2|organization|ALTERNATIVE",
        "0|forms|ALTERNATIVE",
        "1|auth-username-password-form|REQUIRED",
        "1|Browser - Conditional 2FA|CONDITIONAL",
        "2|conditional-user-configured|REQUIRED",
        "2|conditional-credential|REQUIRED",
        "2|auth-otp-form|ALTERNATIVE",
        "2|webauthn-authenticator|DISABLED",
        "2|auth-recovery-authn-code-form|DISABLED",
    ),
    "direct grant": (
        "0|direct-grant-validate-username|REQUIRED",
        "0|direct-grant-validate-password|REQUIRED",
        "0|Direct Grant - Conditional OTP|CONDITIONAL",
        "1|conditional-user-configured|REQUIRED",
        "1|direct-grant-validate-otp|REQUIRED",
    ),
    "registration": (
        "0|registration form|REQUIRED",
        "1|registration-user-creation|REQUIRED",
        "1|registration-password-action|REQUIRED",
        "1|registration-recaptcha-action|DISABLED",
        "1|registration-terms-and-conditions|DISABLED",
    ),
    "reset credentials": (
        "0|reset-credentials-choose-user|REQUIRED",
        "0|reset-credential-email|REQUIRED",
        "0|reset-password|REQUIRED",
        "0|Reset - Conditional OTP|CONDITIONAL",
        "1|conditional-user-configured|REQUIRED",
        "1|reset-otp|REQUIRED",
    ),
    "clients": (
        "0|client-secret|ALTERNATIVE",
        "0|client-jwt|ALTERNATIVE",
        "0|client-secret-jwt|ALTERNATIVE",
        "0|client-x509|ALTERNATIVE",
        "0|federated-jwt|ALTERNATIVE",
    ),
    "first broker login": (
        "0|idp-review-profile|REQUIRED",
        "0|User creation or linking|REQUIRED",
        "1|idp-create-user-if-unique|ALTERNATIVE",
        "1|Handle Existing Account|ALTERNATIVE",
        "2|idp-confirm-link|REQUIRED",
        "2|Account verification options|REQUIRED",
        "3|idp-email-verification|ALTERNATIVE",
        "3|Verify Existing Account by Re-authentication|ALTERNATIVE",
        "4|idp-username-password-form|REQUIRED",
        "4|First broker login - Conditional 2FA|CONDITIONAL",
        "5|conditional-user-configured|REQUIRED",
        "5|conditional-credential|REQUIRED",
        "5|auth-otp-form|ALTERNATIVE",
        "5|webauthn-authenticator|DISABLED",
        "5|auth-recovery-authn-code-form|DISABLED",
        "0|First Broker Login - Conditional Organization|CONDITIONAL",
        "1|conditional-user-configured|REQUIRED",
        "1|idp-add-organization-member|REQUIRED",
    ),
    "docker auth": ("0|docker-http-basic-authenticator|REQUIRED",),
}
