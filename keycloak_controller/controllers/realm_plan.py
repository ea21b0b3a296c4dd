"""The desired realm (pure): a KeycloakRealm spec as a canonical RealmRepresentation.

Only what the spec sets is put in the representation, so the one-sided diff
(`keycloak.diff`) leaves every unset setting to Keycloak. The SMTP password is
not compared (Keycloak answers it masked); instead a digest of it, salted with
the CR's uid, is kept as a realm attribute, and a changed digest re-sends it.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from keycloak_controller.api.realm import KeycloakRealmSpec, SmtpSettings
from keycloak_controller.api.realm_settings import SUB_RESOURCE_KEYS
from keycloak_controller.keycloak.diff import diff
from keycloak_controller.keycloak.models import RealmRepresentation
from keycloak_controller.keycloak.secrets import Secret

from . import reasons
from .ownership import PREFIX
from .realm_section import secret_digest

SMTP_PASSWORD_DIGEST = PREFIX + "smtp-password-digest"
# Realm fields Keycloak omits when they hold this value (no policy; events never expire).
OMITTED_WHEN_EMPTY: dict[str, Any] = {"passwordPolicy": "", "eventsExpiration": 0}
SMTP_SWITCHES = frozenset({"ssl", "starttls", "auth"})  # "false" when absent
FRONTEND_URL = "frontendUrl"  # the realm attribute behind spec.frontendUrl
# Maps Keycloak merges key by key in our PUT (unlisted keys are kept as they are).
MERGED_MAPS = ("attributes", "browserSecurityHeaders")
# Policies Keycloak's realm PUT replaces as a whole: OTP when otpPolicyType is
# sent, WebAuthn always (fields left out fall back to Keycloak's defaults). Every
# PUT carries each group complete (what Keycloak has, overlaid with the spec).
POLICY_GROUPS: tuple[tuple[str, str | None], ...] = (
    ("otpPolicy", None),
    ("webAuthnPolicyPasswordless", None),
    ("webAuthnPolicy", "webAuthnPolicyPasswordless"),
)


def _policy_group(fields: Mapping[str, Any], prefix: str, exclude: str | None) -> dict[str, Any]:
    return {
        k: v
        for k, v in fields.items()
        if k.startswith(prefix) and not (exclude and k.startswith(exclude))
    }


def smtp_password_digest(password: Secret, salt: str) -> str:
    return secret_digest(password, salt)


def _smtp(smtp: SmtpSettings) -> dict[str, str]:
    server = {
        "host": smtp.host,
        "port": str(smtp.port),
        "from": smtp.from_,
        "ssl": str(smtp.ssl).lower(),
        "starttls": str(smtp.starttls).lower(),
        "auth": str(smtp.auth is not None).lower(),
    }
    optional = {
        "fromDisplayName": smtp.from_display_name,
        "replyTo": smtp.reply_to,
        "replyToDisplayName": smtp.reply_to_display_name,
        "envelopeFrom": smtp.envelope_from,
        "user": smtp.auth.username if smtp.auth else None,
    }
    server.update({k: v for k, v in optional.items() if v is not None})
    return server


def desired_realm(
    spec: KeycloakRealmSpec,
    ownership_attributes: dict[str, str],
    smtp_digest: str | None = None,
    unsupported: Mapping[str, str] | None = None,
) -> RealmRepresentation:
    """The realm as the spec wants it (no secret values).

    `unsupported`: realm fields the connected Keycloak lacks, with the version that
    added them; additionalSettings naming one is refused (typed fields are dropped
    by the version adapter, with a warning on the Keycloak resource).
    """
    fields = _typed_fields(spec)
    if spec.additional_settings:
        fields.update(_additional(spec.additional_settings, unsupported or {}))
    attributes = {**(spec.attributes or {}), **ownership_attributes}
    if spec.frontend_url is not None:
        if spec.attributes and FRONTEND_URL in spec.attributes:
            raise reasons.Problem(
                reasons.INVALID_SPEC,
                "spec.attributes.frontendUrl: set spec.frontendUrl or the attribute, not both",
            )
        attributes[FRONTEND_URL] = spec.frontend_url
    if smtp_digest is not None:
        attributes[SMTP_PASSWORD_DIGEST] = smtp_digest
    fields["attributes"] = attributes
    return RealmRepresentation.model_validate({k: v for k, v in fields.items() if v is not None})


def _typed_fields(spec: KeycloakRealmSpec) -> dict[str, Any]:
    """The RealmRepresentation fields of the typed settings (None: unset)."""
    password_policy = spec.password_policy
    if spec.password_policies is not None:
        if password_policy is not None:
            raise reasons.Problem(
                reasons.INVALID_SPEC,
                "spec.passwordPolicies: set either passwordPolicy or passwordPolicies, not both",
            )
        password_policy = spec.password_policies.expression()
    fields: dict[str, Any] = {
        "realm": spec.realm_name,
        "enabled": spec.enabled,
        "displayName": spec.display_name,
        "displayNameHtml": spec.display_name_html,
        "passwordPolicy": password_policy,
    }
    if spec.otp_policy:
        fields.update(spec.otp_policy.fields())
    if spec.web_authn_policy:
        fields.update(spec.web_authn_policy.fields("webAuthnPolicy"))
    if spec.web_authn_passwordless_policy:
        fields.update(spec.web_authn_passwordless_policy.fields("webAuthnPolicyPasswordless"))
    if spec.browser_security_headers:
        headers = spec.browser_security_headers.model_dump(by_alias=True, exclude_none=True)
        fields["browserSecurityHeaders"] = headers
    if spec.login:
        fields.update(spec.login.model_dump(by_alias=True, exclude_none=True))
    if spec.security:
        fields["sslRequired"] = spec.security.ssl_required
        bfd = spec.security.brute_force_detection
        if bfd:
            dumped = bfd.model_dump(by_alias=True, exclude_none=True)
            if "enabled" in dumped:
                fields["bruteForceProtected"] = dumped.pop("enabled")
            fields.update(dumped)
    if spec.tokens:
        fields.update(spec.tokens.model_dump(by_alias=True, exclude_none=True))
    if spec.sessions:
        fields.update(spec.sessions.model_dump(by_alias=True, exclude_none=True))
    if spec.themes:
        for theme, value in spec.themes.model_dump(exclude_none=True).items():
            fields[f"{theme}Theme"] = value
    if spec.localization:
        loc = spec.localization
        fields["internationalizationEnabled"] = loc.enabled
        fields["supportedLocales"] = loc.supported_locales
        fields["defaultLocale"] = loc.default_locale
    if spec.events:
        ev = spec.events
        fields["eventsEnabled"] = ev.enabled
        fields["eventsExpiration"] = ev.expiration
        fields["enabledEventTypes"] = ev.enabled_event_types
        fields["eventsListeners"] = ev.listeners
        fields["adminEventsEnabled"] = ev.admin_events_enabled
        fields["adminEventsDetailsEnabled"] = ev.admin_events_details_enabled
    if spec.smtp:
        fields["smtpServer"] = _smtp(spec.smtp)
    return {k: v.value if isinstance(v, enum.Enum) else v for k, v in fields.items()}


def _additional(settings: Mapping[str, Any], unsupported: Mapping[str, str]) -> dict[str, Any]:
    """spec.additionalSettings, checked: known, untyped, plain, and in this version."""
    known = {f.alias or name for name, f in RealmRepresentation.model_fields.items()}
    problems = []
    for key in sorted(settings):
        if key in SUB_RESOURCE_KEYS:
            problems.append(f"{key!r} is a sub-resource or the realm's identity")
        elif key in typed_realm_keys():
            problems.append(f"{key!r} has a typed field; set that instead")
        elif key not in known:
            problems.append(f"{key!r} is not a RealmRepresentation field")
    if problems:
        raise reasons.Problem(
            reasons.INVALID_SPEC, "spec.additionalSettings: " + "; ".join(problems)
        )
    try:
        RealmRepresentation.model_validate(dict(settings))
    except ValidationError as error:
        # Name the keys only: values are not echoed into status.
        bad = sorted({str(e["loc"][0]) for e in error.errors() if e["loc"]})
        raise reasons.Problem(
            reasons.INVALID_SPEC,
            f"spec.additionalSettings: wrong type of value for {', '.join(bad)}",
        ) from None
    lacking = [
        f"{key} (added in {unsupported[key]})" for key in sorted(settings) if key in unsupported
    ]
    if lacking:
        raise reasons.Problem(
            reasons.INCOMPATIBLE_VERSION,
            "spec.additionalSettings: the connected Keycloak does not have " + ", ".join(lacking),
        )
    return dict(settings)


@functools.cache
def typed_realm_keys() -> frozenset[str]:
    """Every RealmRepresentation field a typed spec field can set, found by filling
    every optional field of the spec (so it stays right as typed fields are added)."""
    sample = _sample(KeycloakRealmSpec)
    assert isinstance(sample, KeycloakRealmSpec)
    keys = set(_typed_fields(sample.model_copy(update={"password_policy": None})))
    keys.add("passwordPolicy")
    return frozenset(keys)


def _sample(annotation: Any) -> Any:
    """A value of `annotation` with every optional part set (not validated)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _sample(args[0])
    if origin in (typing.Union, types.UnionType):
        return _sample(next(a for a in args if a is not type(None)))
    if origin is typing.Literal:
        return args[0]
    if origin is list:
        return [_sample(args[0])]
    if origin is dict:
        return {"k": _sample(args[1])}
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return next(iter(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        values = {name: _sample(f.annotation) for name, f in annotation.model_fields.items()}
        return annotation.model_construct(**values)
    if annotation is bool:
        return True
    if annotation is int:
        return 1
    if annotation is str:
        return "x"
    return None


def realm_update(
    desired: RealmRepresentation,
    actual: RealmRepresentation,
    smtp_password: Secret | None,
    unsupported: Mapping[str, str] | None = None,
) -> RealmRepresentation | None:
    """The PUT body with only the differing fields, or None when in sync (pure).

    Attributes and security headers are merged into the actual ones; the SMTP map
    is sent whole with the password whenever it or the password digest changed.
    Fields the connected Keycloak lacks (`unsupported`) are not compared: the
    version adapter would not send them, so they could never come into sync.
    """
    changes = diff(desired, actual).changes
    for key in unsupported or ():
        changes.pop(key, None)
    have = actual.model_dump(by_alias=True, exclude_none=True, mode="json")
    if "attributes" in changes:
        # An empty attribute is one Keycloak does not keep: absent satisfies it.
        have_attributes = have.get("attributes") or {}
        if all(
            have_attributes.get(k) == v or (v == "" and k not in have_attributes)
            for k, v in changes["attributes"].items()
        ):
            del changes["attributes"]
    if "smtpServer" in changes:
        # A switch Keycloak reads as false when absent (a server set up by hand may
        # leave them out) is satisfied by its absence.
        have_smtp = have.get("smtpServer") or {}
        if all(
            have_smtp.get(k) == v or (k not in have_smtp and v == "false" and k in SMTP_SWITCHES)
            for k, v in changes["smtpServer"].items()
        ):
            del changes["smtpServer"]
    for key, empty in OMITTED_WHEN_EMPTY.items():
        # Keycloak leaves these out of the representation when they hold their empty
        # value; asking for that value is then already satisfied (else: a PUT per resync).
        if key in changes and changes[key] == empty and have.get(key) in (None, empty):
            del changes[key]
    if not changes:
        return None
    body: dict[str, Any] = {"realm": desired.realm, **changes}
    for key in MERGED_MAPS:
        if key in changes:
            body[key] = {**(have.get(key) or {}), **changes[key]}
    want = desired.model_dump(by_alias=True, exclude_none=True, mode="json")
    for prefix, exclude in POLICY_GROUPS:
        group = {**_policy_group(have, prefix, exclude), **_policy_group(want, prefix, exclude)}
        for key in unsupported or ():
            group.pop(key, None)
        body.update(group)
    digest_changed = "attributes" in changes and (actual.attributes or {}).get(
        SMTP_PASSWORD_DIGEST
    ) != (desired.attributes or {}).get(SMTP_PASSWORD_DIGEST)
    if desired.smtp_server is not None and ("smtpServer" in changes or digest_changed):
        server = dict(desired.smtp_server)
        if smtp_password is not None:
            server["password"] = smtp_password.reveal()
        body["smtpServer"] = server
    return RealmRepresentation.model_validate(body)
