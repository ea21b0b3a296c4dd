"""The desired realm (pure): a KeycloakRealm spec as a canonical RealmRepresentation.

Only what the spec sets is put in the representation, so the one-sided diff
(`keycloak.diff`) leaves every unset setting to Keycloak. The SMTP password is
not compared (Keycloak answers it masked); instead a digest of it, salted with
the CR's uid, is kept as a realm attribute, and a changed digest re-sends it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from keycloak_controller.api.realm import KeycloakRealmSpec, SmtpSettings
from keycloak_controller.keycloak.diff import diff
from keycloak_controller.keycloak.models import RealmRepresentation
from keycloak_controller.keycloak.secrets import Secret

from .ownership import PREFIX

SMTP_PASSWORD_DIGEST = PREFIX + "smtp-password-digest"
# Realm fields Keycloak omits when they hold this value (no policy; events never expire).
OMITTED_WHEN_EMPTY: dict[str, Any] = {"passwordPolicy": "", "eventsExpiration": 0}


def smtp_password_digest(password: Secret, salt: str) -> str:
    return hashlib.sha256(f"{salt}\0{password.reveal()}".encode()).hexdigest()[:32]


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
) -> RealmRepresentation:
    """The realm as the spec wants it (no secret values)."""
    fields: dict[str, Any] = {
        "realm": spec.realm_name,
        "enabled": spec.enabled,
        "displayName": spec.display_name,
        "displayNameHtml": spec.display_name_html,
        "passwordPolicy": spec.password_policy,
    }
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
    attributes = {**(spec.attributes or {}), **ownership_attributes}
    if smtp_digest is not None:
        attributes[SMTP_PASSWORD_DIGEST] = smtp_digest
    fields["attributes"] = attributes
    return RealmRepresentation.model_validate({k: v for k, v in fields.items() if v is not None})


def realm_update(
    desired: RealmRepresentation, actual: RealmRepresentation, smtp_password: Secret | None
) -> RealmRepresentation | None:
    """The PUT body with only the differing fields, or None when in sync (pure).

    Attributes are merged into the actual ones; the SMTP map is sent whole with
    the password whenever it or the password digest changed.
    """
    changes = diff(desired, actual).changes
    have = actual.model_dump(by_alias=True, exclude_none=True, mode="json")
    for key, empty in OMITTED_WHEN_EMPTY.items():
        # Keycloak leaves these out of the representation when they hold their empty
        # value; asking for that value is then already satisfied (else: a PUT per resync).
        if key in changes and changes[key] == empty and have.get(key) in (None, empty):
            del changes[key]
    if not changes:
        return None
    body: dict[str, Any] = {"realm": desired.realm, **changes}
    if "attributes" in changes:
        body["attributes"] = {**(actual.attributes or {}), **(desired.attributes or {})}
    digest_changed = "attributes" in changes and (actual.attributes or {}).get(
        SMTP_PASSWORD_DIGEST
    ) != (desired.attributes or {}).get(SMTP_PASSWORD_DIGEST)
    if desired.smtp_server is not None and ("smtpServer" in changes or digest_changed):
        server = dict(desired.smtp_server)
        if smtp_password is not None:
            server["password"] = smtp_password.reveal()
        body["smtpServer"] = server
    return RealmRepresentation.model_validate(body)
