"""Realm policies: the structured password policy, OTP, WebAuthn (two-factor and
passwordless/passkeys) and the browser security headers.

Each is a group of plain RealmRepresentation fields; unset fields are left as
Keycloak has them.
"""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import ConfigDict, Field

from .base import INT32_MAX, MAX_LIST, MAX_NAME, MAX_TEXT, MAX_URL, SpecModel, cel, list_set
from .base import Rule as CelRule

Count = Annotated[int, Field(ge=0, le=INT32_MAX, json_schema_extra={"format": "int32"})]
Positive = Annotated[int, Field(ge=1, le=INT32_MAX, json_schema_extra={"format": "int32"})]
ShortText = Annotated[str, Field(max_length=MAX_NAME)]
Header = Annotated[str, Field(max_length=MAX_TEXT)]


class PasswordPolicies(SpecModel):
    """Keycloak's password policy as typed rules, rendered into its policy expression
    in a fixed order (length, maxLength, upperCase, lowerCase, digits, specialChars,
    notUsername, notEmail, passwordHistory, forceExpiredPasswordChange,
    hashAlgorithm, hashIterations, regexPattern). Rules left unset are not in the
    policy; an object with no rules means no policy."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            CelRule(
                "!has(self.regexPattern) || !self.regexPattern.contains(' and ')",
                "regexPattern may not contain ' and ' (Keycloak's rule separator)",
                field_path=".regexPattern",
            )
        )
    )

    length: Positive | None = Field(default=None, description="Minimum length.")
    max_length: Positive | None = Field(default=None, description="Maximum length.")
    upper_case: Positive | None = Field(
        default=None, description="Minimum number of upper-case letters."
    )
    lower_case: Positive | None = Field(
        default=None, description="Minimum number of lower-case letters."
    )
    digits: Positive | None = Field(default=None, description="Minimum number of digits.")
    special_chars: Positive | None = Field(
        default=None, description="Minimum number of special characters."
    )
    not_username: bool | None = Field(
        default=None, description="The password may not be the username."
    )
    not_email: bool | None = Field(
        default=None, description="The password may not be the email address."
    )
    password_history: Positive | None = Field(
        default=None, description="The password may not be one of the last N passwords."
    )
    force_expired_password_change: Positive | None = Field(
        default=None, description="Days after which the password must be changed."
    )
    hash_algorithm: ShortText | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Password hashing provider, e.g. pbkdf2-sha512 or argon2.",
    )
    hash_iterations: Positive | None = Field(
        default=None, description="Hashing iterations (the provider's default when unset)."
    )
    regex_pattern: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)] | None = Field(
        default=None,
        description=(
            "A Java regular expression the whole password must match. It may not contain "
            "' and ' (Keycloak's rule separator)."
        ),
    )

    def expression(self) -> str:
        """Keycloak's policy expression, deterministic ('' when no rule is set)."""
        numeric = (
            ("length", self.length),
            ("maxLength", self.max_length),
            ("upperCase", self.upper_case),
            ("lowerCase", self.lower_case),
            ("digits", self.digits),
            ("specialChars", self.special_chars),
        )
        parts = [f"{name}({value})" for name, value in numeric if value is not None]
        if self.not_username:
            parts.append("notUsername(undefined)")
        if self.not_email:
            parts.append("notEmail(undefined)")
        later = (
            ("passwordHistory", self.password_history),
            ("forceExpiredPasswordChange", self.force_expired_password_change),
            ("hashAlgorithm", self.hash_algorithm),
            ("hashIterations", self.hash_iterations),
            ("regexPattern", self.regex_pattern),
        )
        parts += [f"{name}({value})" for name, value in later if value is not None]
        return " and ".join(parts)


class OtpType(enum.StrEnum):
    TOTP = "totp"
    HOTP = "hotp"


class OtpAlgorithm(enum.StrEnum):
    SHA1 = "HmacSHA1"
    SHA256 = "HmacSHA256"
    SHA512 = "HmacSHA512"


class OtpPolicy(SpecModel):
    """One-time passwords (authenticator apps)."""

    type: OtpType | None = Field(
        default=None, description="totp (time-based) or hotp (counter-based)."
    )
    algorithm: OtpAlgorithm | None = Field(
        default=None, description="HmacSHA1, HmacSHA256 or HmacSHA512."
    )
    digits: Annotated[int, Field(ge=6, le=8)] | None = Field(
        default=None,
        description="Number of digits (6 or 8).",
        json_schema_extra={"format": "int32"},
    )
    period: Positive | None = Field(
        default=None, description="How long a TOTP code is valid, in seconds."
    )
    look_ahead_window: Count | None = Field(
        default=None, description="How many codes ahead (or periods of clock skew) are accepted."
    )
    initial_counter: Count | None = Field(default=None, description="The first HOTP counter.")
    code_reusable: bool | None = Field(
        default=None, description="A code may be used more than once while it is valid."
    )

    def fields(self) -> dict[str, object]:
        return {
            "otpPolicyType": self.type,
            "otpPolicyAlgorithm": self.algorithm,
            "otpPolicyDigits": self.digits,
            "otpPolicyPeriod": self.period,
            "otpPolicyLookAheadWindow": self.look_ahead_window,
            "otpPolicyInitialCounter": self.initial_counter,
            "otpPolicyCodeReusable": self.code_reusable,
        }


class Attestation(enum.StrEnum):
    NOT_SPECIFIED = "not specified"
    NONE = "none"
    INDIRECT = "indirect"
    DIRECT = "direct"


class Attachment(enum.StrEnum):
    NOT_SPECIFIED = "not specified"
    PLATFORM = "platform"
    CROSS_PLATFORM = "cross-platform"


class ResidentKey(enum.StrEnum):
    NOT_SPECIFIED = "not specified"
    YES = "Yes"
    NO = "No"


class UserVerification(enum.StrEnum):
    NOT_SPECIFIED = "not specified"
    REQUIRED = "required"
    PREFERRED = "preferred"
    DISCOURAGED = "discouraged"


class WebAuthnPolicy(SpecModel):
    """A WebAuthn policy (security keys, platform authenticators)."""

    rp_entity_name: ShortText | None = Field(
        default=None, description="Relying party name shown by the authenticator."
    )
    signature_algorithms: list[ShortText] | None = Field(
        default=None,
        max_length=16,
        description="Accepted signature algorithms, in order of preference, e.g. [ES256, RS256].",
    )
    rp_id: ShortText | None = Field(
        default=None, description="Relying party id (a domain); empty: the request's host."
    )
    attestation_conveyance_preference: Attestation | None = Field(
        default=None, description="'not specified', none, indirect or direct."
    )
    authenticator_attachment: Attachment | None = Field(
        default=None, description="'not specified', platform or cross-platform."
    )
    require_resident_key: ResidentKey | None = Field(
        default=None, description="Discoverable credentials: 'not specified', Yes or No."
    )
    user_verification_requirement: UserVerification | None = Field(
        default=None, description="'not specified', required, preferred or discouraged."
    )
    create_timeout: Count | None = Field(
        default=None, description="Registration timeout, in seconds (0: the browser's)."
    )
    avoid_same_authenticator_register: bool | None = Field(
        default=None, description="Refuse to register the same authenticator twice."
    )
    acceptable_aaguids: list[ShortText] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description="Authenticator models (AAGUIDs) accepted; empty: any.",
        json_schema_extra=list_set(),
    )
    extra_origins: list[Annotated[str, Field(max_length=MAX_URL)]] | None = Field(
        default=None,
        max_length=MAX_LIST,
        description="Origins accepted besides the realm's, e.g. android:apk-key-hash:...",
        json_schema_extra=list_set(),
    )

    def fields(self, prefix: str) -> dict[str, object]:
        """The RealmRepresentation fields, e.g. prefix 'webAuthnPolicy'."""
        return {
            f"{prefix}RpEntityName": self.rp_entity_name,
            f"{prefix}SignatureAlgorithms": self.signature_algorithms,
            f"{prefix}RpId": self.rp_id,
            f"{prefix}AttestationConveyancePreference": self.attestation_conveyance_preference,
            f"{prefix}AuthenticatorAttachment": self.authenticator_attachment,
            f"{prefix}RequireResidentKey": self.require_resident_key,
            f"{prefix}UserVerificationRequirement": self.user_verification_requirement,
            f"{prefix}CreateTimeout": self.create_timeout,
            f"{prefix}AvoidSameAuthenticatorRegister": self.avoid_same_authenticator_register,
            f"{prefix}AcceptableAaguids": self.acceptable_aaguids,
            f"{prefix}ExtraOrigins": self.extra_origins,
        }


class WebAuthnPasswordlessPolicy(WebAuthnPolicy):
    """The passwordless WebAuthn policy (passkeys)."""

    passkeys_enabled: bool | None = Field(
        default=None,
        description=(
            "Offer passkeys (conditional UI) on the login page. Keycloak 26.3+; on older "
            "servers it is not sent (the Keycloak resource reports it)."
        ),
    )

    def fields(self, prefix: str) -> dict[str, object]:
        return {**super().fields(prefix), f"{prefix}PasskeysEnabled": self.passkeys_enabled}


class BrowserSecurityHeaders(SpecModel):
    """HTTP security headers on the realm's pages. Unset headers are left as they are;
    an empty string sends no header."""

    content_security_policy: Header | None = Field(
        default=None, description="Content-Security-Policy, e.g. \"frame-src 'self'; ...\"."
    )
    content_security_policy_report_only: Header | None = Field(
        default=None, description="Content-Security-Policy-Report-Only."
    )
    x_frame_options: Header | None = Field(
        default=None, alias="xFrameOptions", description="X-Frame-Options, e.g. SAMEORIGIN."
    )
    x_content_type_options: Header | None = Field(
        default=None, alias="xContentTypeOptions", description="X-Content-Type-Options."
    )
    x_robots_tag: Header | None = Field(
        default=None, alias="xRobotsTag", description="X-Robots-Tag, e.g. none."
    )
    x_xss_protection: Header | None = Field(
        default=None, alias="xXSSProtection", description="X-XSS-Protection."
    )
    strict_transport_security: Header | None = Field(
        default=None, description="Strict-Transport-Security, e.g. max-age=31536000."
    )
    referrer_policy: Header | None = Field(
        default=None, description="Referrer-Policy, e.g. no-referrer."
    )
