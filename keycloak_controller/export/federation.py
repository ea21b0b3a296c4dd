"""LDAP user storage providers as `spec.userFederation.ldap` entries.

The inverse of `controllers.realm_federation_config.ldap_config`: typed keys
(`TYPED_LDAP_KEYS`) go to their fields, every other config key to
`additionalConfig`. Every mapper is exported as a `custom` mapper (its provider
id and config as Keycloak has them), which the controller compares key by key,
so none of Keycloak's own mappers is lost or changed. The bind credential is
never read (Keycloak masks it): it becomes a reference to a Secret stub.
Kerberos providers are the inverse of `kerberos_config` (the keytab is a path
on the Keycloak server, not a secret value); other user storage providers are
named for a note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from keycloak_controller.api.common import SecretKeySelector
from keycloak_controller.api.realm_federation import KerberosProvider, LdapProvider
from keycloak_controller.controllers.ownership import PREFIX
from keycloak_controller.controllers.realm_federation_config import (
    BIND_CREDENTIAL,
    KERBEROS,
    LDAP,
    LDAP_MAPPER,
    TYPED_LDAP_KEYS,
    USER_STORAGE,
)
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import ComponentRepresentation

from .realm_settings import SecretStub

# Config key -> LdapProvider field alias, for keys copied as they are.
_PLAIN = {
    "connectionUrl": "connectionUrl",
    "bindDn": "bindDn",
    "usersDn": "usersDn",
    "vendor": "vendor",
    "editMode": "editMode",
    "usernameLDAPAttribute": "usernameAttribute",
    "rdnLDAPAttribute": "rdnAttribute",
    "uuidLDAPAttribute": "uuidAttribute",
    "customUserSearchFilter": "userSearchFilter",
    "pagination": "pagination",
    "batchSizeForSync": "batchSize",
    "startTls": "startTls",
    "connectionPooling": "connectionPooling",
    "connectionTimeout": "connectionTimeoutMillis",
    "readTimeout": "readTimeoutMillis",
    "importEnabled": "importUsers",
    "syncRegistrations": "syncRegistrations",
    "trustEmail": "trustEmail",
    "enabled": "enabled",
    "priority": "priority",
}


def _one(config: Mapping[str, list[str]], key: str) -> str | None:
    values = config.get(key) or []
    return values[0] if values else None


def _period(text: str | None) -> int | None:
    """Keycloak's -1 (off) is the spec's 0."""
    if text is None or not text.lstrip("-").isdigit():
        return None
    return 0 if int(text) < 0 else int(text)


# user-attribute-ldap-mapper config keys -> UserAttributeMapper field aliases
# (controllers.realm_federation_config._user_attribute).
USER_ATTRIBUTE = "user-attribute-ldap-mapper"
_USER_ATTRIBUTE_KEYS = {
    "user.model.attribute": "userModelAttribute",
    "ldap.attribute": "ldapAttribute",
    "read.only": "readOnly",
    "always.read.value.from.ldap": "alwaysReadValueFromLdap",
    "is.mandatory.in.ldap": "isMandatoryInLdap",
    "attribute.default.value": "attributeDefaultValue",
    "is.binary.attribute": "isBinaryAttribute",
}


def _mapper(m: ComponentRepresentation) -> dict[str, Any]:
    """A user-attribute mapper whose keys are all typed as `userAttribute` (admission wants
    the username one typed); any other mapper as `custom`, its config as it is."""
    config = {k: ",".join(v) for k, v in (m.config or {}).items() if v}
    if m.provider_id == USER_ATTRIBUTE and set(config) <= set(_USER_ATTRIBUTE_KEYS):
        typed = {_USER_ATTRIBUTE_KEYS[k]: v for k, v in config.items() if v != ""}
        return {"name": m.name, "userAttribute": typed}
    return {"name": m.name, "custom": {"providerId": m.provider_id, "config": config or None}}


def export_ldap(
    provider: ComponentRepresentation,
    mappers: list[ComponentRepresentation],
    secret_name: str,
    secrets: list[SecretStub],
) -> LdapProvider:
    config = {k: list(v) for k, v in (provider.config or {}).items()}
    name = provider.name or ""
    fields: dict[str, Any] = {"name": name}
    for key, alias in _PLAIN.items():
        value = _one(config, key)
        if value not in (None, ""):
            fields[alias] = value
    if _one(config, "authType") == "simple" and BIND_CREDENTIAL in config:
        key = f"ldap-{name}-bind-credential"
        fields["bindCredentialSecretRef"] = SecretKeySelector(name=secret_name, key=key)
        secrets.append(SecretStub(secret_name, key, f"LDAP provider {name}'s bind password"))
    classes = _one(config, "userObjectClasses")
    if classes:
        fields["userObjectClasses"] = [c.strip() for c in classes.split(",") if c.strip()]
    scope = _one(config, "searchScope")
    if scope in ("1", "2"):
        fields["searchScope"] = "Subtree" if scope == "2" else "OneLevel"
    truststore = _one(config, "useTruststoreSpi")
    if truststore in ("always", "never"):
        fields["useTruststoreSpi"] = truststore == "always"
    full, changed = (
        _period(_one(config, "fullSyncPeriod")),
        _period(_one(config, "changedSyncPeriod")),
    )
    if full is not None or changed is not None:
        fields["sync"] = {"fullSyncPeriodSeconds": full, "changedUsersSyncPeriodSeconds": changed}
    extra = {
        k: ",".join(v)
        for k, v in config.items()
        if k not in TYPED_LDAP_KEYS and not k.startswith(PREFIX) and v
    }
    fields["additionalConfig"] = extra or None
    fields["mappers"] = sorted((_mapper(m) for m in mappers), key=lambda m: str(m["name"])) or None
    return LdapProvider.model_validate({k: v for k, v in fields.items() if v is not None})


# Config key -> KerberosProvider field alias (controllers.realm_federation_config.kerberos_config).
_KERBEROS = {
    "enabled": "enabled",
    "priority": "priority",
    "kerberosRealm": "kerberosRealm",
    "serverPrincipal": "serverPrincipal",
    "keyTab": "keyTab",
    "debug": "debug",
    "allowPasswordAuthentication": "allowPasswordAuthentication",
    "editMode": "editMode",
    "updateProfileFirstLogin": "updateProfileFirstLogin",
}


# Untyped keys the Admin Console sets to what Keycloak does anyway: not worth a note.
_KERBEROS_DEFAULTS = {"cachePolicy": "DEFAULT"}


def export_kerberos(provider: ComponentRepresentation, untyped: list[str]) -> KerberosProvider:
    """Config keys with no typed field are named in `untyped` (left out)."""
    config = {k: list(v) for k, v in (provider.config or {}).items()}
    fields: dict[str, Any] = {"name": provider.name or ""}
    for key, values in sorted(config.items()):
        value = values[0] if values else ""
        if key in _KERBEROS:
            if value != "":
                fields[_KERBEROS[key]] = value
        elif not key.startswith(PREFIX) and value != "" and _KERBEROS_DEFAULTS.get(key) != value:
            untyped.append(f"{provider.name}.{key}")
    return KerberosProvider.model_validate(fields)


@dataclass
class ExportedFederation:
    ldap: list[LdapProvider] = field(default_factory=list)
    kerberos: list[KerberosProvider] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "name (why)"


def export_user_federation(
    admin: KeycloakAdmin, realm: str, realm_id: str, secret_name: str, secrets: list[SecretStub]
) -> ExportedFederation:
    """LDAP and Kerberos providers; other user storage providers and untyped Kerberos
    settings are named in `skipped` (left out)."""
    out = ExportedFederation()
    untyped: list[str] = []
    for component in admin.components.list(realm, parent=realm_id, provider_type=USER_STORAGE):
        if component.provider_id == KERBEROS:
            out.kerberos.append(export_kerberos(component, untyped))
            continue
        if component.provider_id != LDAP:
            out.skipped.append(f"{component.name} ({component.provider_id})")
            continue
        mappers = admin.components.list(realm, parent=component.id or "", provider_type=LDAP_MAPPER)
        out.ldap.append(export_ldap(component, mappers, secret_name, secrets))
    out.skipped.extend(f"{k} (a Kerberos setting with no typed field)" for k in untyped)
    out.ldap.sort(key=lambda p: p.name)
    out.kerberos.sort(key=lambda p: p.name)
    return out
