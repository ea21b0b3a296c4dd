"""The realm's own settings (RealmRepresentation) as KeycloakRealm spec fields (pure).

The inverse of `controllers.realm_plan._typed_fields`: each typed block is
filled from the representation keys it writes, and only with values that
differ from a new realm's (`defaults`). Plain settings with no typed field that
differ from a new realm's go to `additionalSettings`. The SMTP password is never
read: Keycloak answers it masked; the export names a Secret for it instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from keycloak_controller.api.common import SecretKeySelector
from keycloak_controller.api.realm import (
    BruteForceDetection,
    EventSettings,
    Localization,
    LoginSettings,
    SessionSettings,
    SmtpAuth,
    SmtpSettings,
    Themes,
    TokenSettings,
)
from keycloak_controller.api.realm_flows import BINDING_FIELDS
from keycloak_controller.api.realm_policies import (
    OtpPolicy,
    WebAuthnPasswordlessPolicy,
    WebAuthnPolicy,
)
from keycloak_controller.api.realm_settings import SUB_RESOURCE_KEYS
from keycloak_controller.controllers.ownership import PREFIX
from keycloak_controller.controllers.realm_plan import FRONTEND_URL, typed_realm_keys
from keycloak_controller.keycloak.models import RealmRepresentation

from . import defaults

# Attributes other operators stamp to mark ownership; they describe who managed the
# realm, not how it is configured, so they stay in Keycloak and out of Git.
FOREIGN_OWNERSHIP_PREFIXES = ("io.kubernetes.",)
# Fields that identify or time-stamp the realm rather than configure it.
IDENTITY_KEYS = frozenset({"id", "realm", "notBefore", "keycloakVersion"})
# FlowBindings field -> RealmRepresentation JSON key (BINDING_FIELDS has Python names).
BINDING_KEYS = {
    spec_name: RealmRepresentation.model_fields[python_name].alias or python_name
    for spec_name, python_name in BINDING_FIELDS.items()
}


@dataclass
class SecretStub:
    """A Secret the export names but cannot fill: the value stays in Keycloak."""

    name: str
    key: str
    why: str


@dataclass
class RealmSettings:
    """The exported settings: spec fields by their Python names, and Secrets to fill."""

    fields: dict[str, Any] = field(default_factory=dict)
    secrets: list[SecretStub] = field(default_factory=list)
    untyped: list[str] = field(default_factory=list)  # keys sent to additionalSettings


def _differs(key: str, value: Any) -> bool:
    if key in defaults.REALM_SCALARS:
        return bool(defaults.REALM_SCALARS[key] != value)
    if key in defaults.REALM_LISTS:
        return bool(defaults.REALM_LISTS[key] != value)
    return value not in (None, "", [], {})


def _block(model: type[BaseModel], have: Mapping[str, Any], rename: Mapping[str, str]) -> Any:
    """`model` filled from `have` (field alias -> representation key via `rename`, else
    the same name), keeping only values that differ from a new realm's; None if none do."""
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        alias = info.alias or name
        key = rename.get(alias, alias)
        if key in have and _differs(key, have[key]):
            values[name] = have[key]
    return model.model_validate(values) if values else None


def _field_keys(
    model: type[BaseModel], fields: Callable[[Any], Mapping[str, Any]]
) -> dict[str, str]:
    """Field alias -> representation key, read off a model's own `fields()` mapping (so the
    inverse follows the controller's mapping instead of repeating it)."""
    marks: dict[str, Any] = {n: f"@{n}" for n in model.model_fields}
    marked = model.model_construct(None, **marks)
    return {
        model.model_fields[str(v)[1:]].alias or str(v)[1:]: key
        for key, v in fields(marked).items()
        if isinstance(v, str) and v.startswith("@")
    }


def export_settings(realm: RealmRepresentation, namespace_secret: str) -> RealmSettings:
    """`namespace_secret`: the name of the Secret stub that will hold the realm's secrets."""
    have = realm.model_dump(by_alias=True, exclude_none=True, mode="json")
    out = RealmSettings()
    f = out.fields
    f["display_name"] = have.get("displayName") or None
    f["display_name_html"] = have.get("displayNameHtml") or None
    f["enabled"] = have.get("enabled", True)
    f["login"] = _block(LoginSettings, have, {})
    bfd = _block(BruteForceDetection, have, {"enabled": "bruteForceProtected"})
    ssl = have.get("sslRequired")
    security: dict[str, Any] = {}
    if ssl is not None and _differs("sslRequired", ssl):
        security["ssl_required"] = ssl
    if bfd is not None:
        security["brute_force_detection"] = bfd
    f["security"] = security or None
    f["tokens"] = _block(TokenSettings, have, {})
    f["sessions"] = _block(SessionSettings, have, {})
    f["themes"] = _block(
        Themes, have, {t: f"{t}Theme" for t in ("login", "account", "admin", "email")}
    )
    f["localization"] = _block(
        Localization,
        have,
        {"enabled": "internationalizationEnabled", "supportedLocales": "supportedLocales"},
    )
    f["events"] = _block(
        EventSettings,
        have,
        {
            "enabled": "eventsEnabled",
            "expiration": "eventsExpiration",
            "listeners": "eventsListeners",
        },
    )
    if have.get("passwordPolicy"):
        f["password_policy"] = have["passwordPolicy"]
    f["otp_policy"] = _block(OtpPolicy, have, _field_keys(OtpPolicy, lambda m: m.fields()))
    f["web_authn_policy"] = _block(
        WebAuthnPolicy, have, _field_keys(WebAuthnPolicy, lambda m: m.fields("webAuthnPolicy"))
    )
    f["web_authn_passwordless_policy"] = _block(
        WebAuthnPasswordlessPolicy,
        have,
        _field_keys(WebAuthnPasswordlessPolicy, lambda m: m.fields("webAuthnPolicyPasswordless")),
    )
    headers = {
        k: v
        for k, v in (have.get("browserSecurityHeaders") or {}).items()
        if defaults.BROWSER_SECURITY_HEADERS.get(k) != v
    }
    if headers:
        f["browser_security_headers"] = headers
    bindings = {
        spec_name: have[key]
        for spec_name, key in BINDING_KEYS.items()
        if key in have and _differs(key, have[key])
    }
    f["flow_bindings"] = bindings or None
    if have.get("organizationsEnabled"):
        f["organizations_enabled"] = True
    f["smtp"] = _smtp(have.get("smtpServer") or {}, namespace_secret, out.secrets)
    attributes = dict(have.get("attributes") or {})
    if attributes.get(FRONTEND_URL):
        f["frontend_url"] = attributes.pop(FRONTEND_URL)
    kept = {
        k: v
        for k, v in attributes.items()
        if not k.startswith(PREFIX)
        and not k.startswith(FOREIGN_OWNERSHIP_PREFIXES)
        and defaults.REALM_ATTRIBUTES.get(k) != v
        and not _mirrors_field(k, v, have)
    }
    f["attributes"] = kept or None
    f["additional_settings"] = _untyped(have, out)
    out.fields = {k: v for k, v in f.items() if v is not None}
    return out


def _mirrors_field(key: str, value: str, have: Mapping[str, Any]) -> bool:
    """Keycloak mirrors some realm fields into attributes (e.g. oauth2DeviceCodeLifespan):
    the field is exported, its attribute copy is not."""
    return key in have and str(have[key]).lower() == str(value).lower()


def _smtp(server: Mapping[str, str], secret_name: str, secrets: list[SecretStub]) -> Any:
    if not server.get("host"):
        return None
    auth = None
    if server.get("auth") == "true" and server.get("user"):
        ref = SecretKeySelector(name=secret_name, key="smtp-password")
        secrets.append(SecretStub(secret_name, "smtp-password", "the SMTP server's password"))
        auth = SmtpAuth(username=server["user"], password_secret_ref=ref)
    return SmtpSettings.model_validate(
        {
            "host": server["host"],
            "port": int(server.get("port") or 25),
            "from": server.get("from", ""),
            "fromDisplayName": server.get("fromDisplayName") or None,
            "replyTo": server.get("replyTo") or None,
            "replyToDisplayName": server.get("replyToDisplayName") or None,
            "envelopeFrom": server.get("envelopeFrom") or None,
            "ssl": server.get("ssl") == "true",
            "starttls": server.get("starttls") == "true",
            "auth": auth,
        }
    )


def _untyped(have: Mapping[str, Any], out: RealmSettings) -> dict[str, Any] | None:
    """Plain settings with no typed field that differ from a new realm's."""
    typed = typed_realm_keys() | set(BINDING_KEYS.values()) | {"organizationsEnabled"}
    extra: dict[str, Any] = {}
    for key, value in have.items():
        if key in SUB_RESOURCE_KEYS or key in IDENTITY_KEYS or key in typed:
            continue
        if isinstance(value, dict) or key == "browserSecurityHeaders":
            continue
        if isinstance(value, list) and any(isinstance(v, dict) for v in value):
            continue
        if _differs(key, value):
            extra[key] = value
    out.untyped = sorted(extra)
    return extra or None
