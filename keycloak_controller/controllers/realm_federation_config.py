"""Spec fields of user federation as Keycloak component config (pure, no I/O).

Component config is a MultivaluedHashMap: every value is a list of strings.
`*_config` returns only the keys the spec sets, so comparisons are one-sided;
`*_defaults` are what a new component gets for keys the spec leaves unset
(Keycloak's own defaults, which it does not fill in for REST callers).
"""

from __future__ import annotations

from collections.abc import Mapping

from keycloak_controller.api.realm_federation import (
    CustomMapper,
    GroupMapper,
    KerberosProvider,
    LdapMapper,
    LdapProvider,
    LdapVendor,
    RoleMapper,
    SearchScope,
    UserAttributeMapper,
)

Config = dict[str, list[str]]

USER_STORAGE = "org.keycloak.storage.UserStorageProvider"
LDAP_MAPPER = "org.keycloak.storage.ldap.mappers.LDAPStorageMapper"
LDAP = "ldap"
KERBEROS = "kerberos"
BIND_CREDENTIAL = "bindCredential"
MASKED = "**********"

# username, RDN, UUID attributes and user object classes by vendor, as the Admin
# Console pre-fills them.
_VENDOR_DEFAULTS: dict[LdapVendor, tuple[str, str, str, str]] = {
    LdapVendor.OTHER: ("uid", "uid", "entryUUID", "inetOrgPerson, organizationalPerson"),
    LdapVendor.ACTIVE_DIRECTORY: ("cn", "cn", "objectGUID", "person, organizationalPerson, user"),
    LdapVendor.RED_HAT_DIRECTORY_SERVER: (
        "uid",
        "uid",
        "nsuniqueid",
        "inetOrgPerson, organizationalPerson",
    ),
    LdapVendor.TIVOLI: ("uid", "uid", "uniqueidentifier", "inetOrgPerson, organizationalPerson"),
    LdapVendor.EDIRECTORY: ("uid", "uid", "guid", "inetOrgPerson, organizationalPerson"),
}

# Keys whose values are comma-separated lists: compared as lists, not as text.
_LIST_KEYS = frozenset({"userObjectClasses", "group.object.classes", "role.object.classes"})


def _text(value: bool | int | str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _put(config: Config, key: str, value: bool | int | str | None) -> None:
    if value is not None:
        config[key] = [_text(value)]


def _period(seconds: int | None) -> int | None:
    """0 turns a periodic sync off; Keycloak spells that -1."""
    if seconds is None:
        return None
    return -1 if seconds == 0 else seconds


def ldap_config(p: LdapProvider) -> Config:
    c: Config = {}
    _put(c, "enabled", p.enabled)
    _put(c, "priority", p.priority)
    _put(c, "connectionUrl", p.connection_url)
    _put(c, "authType", "simple" if p.bind_dn else "none")
    _put(c, "bindDn", p.bind_dn)
    _put(c, "usersDn", p.users_dn)
    _put(c, "vendor", p.vendor.value)
    _put(c, "editMode", p.edit_mode.value)
    _put(c, "usernameLDAPAttribute", p.username_attribute)
    _put(c, "rdnLDAPAttribute", p.rdn_attribute)
    _put(c, "uuidLDAPAttribute", p.uuid_attribute)
    if p.user_object_classes is not None:
        _put(c, "userObjectClasses", ", ".join(p.user_object_classes))
    _put(c, "customUserSearchFilter", p.user_search_filter)
    if p.search_scope is not None:
        _put(c, "searchScope", "2" if p.search_scope is SearchScope.SUBTREE else "1")
    _put(c, "pagination", p.pagination)
    _put(c, "batchSizeForSync", p.batch_size)
    _put(c, "startTls", p.start_tls)
    if p.use_truststore_spi is not None:
        _put(c, "useTruststoreSpi", "always" if p.use_truststore_spi else "never")
    _put(c, "connectionPooling", p.connection_pooling)
    _put(c, "connectionTimeout", p.connection_timeout_millis)
    _put(c, "readTimeout", p.read_timeout_millis)
    _put(c, "importEnabled", p.import_users)
    _put(c, "syncRegistrations", p.sync_registrations)
    _put(c, "trustEmail", p.trust_email)
    if p.sync is not None:
        _put(c, "fullSyncPeriod", _period(p.sync.full_sync_period_seconds))
        _put(c, "changedSyncPeriod", _period(p.sync.changed_users_sync_period_seconds))
    for key, value in (p.additional_config or {}).items():
        c[key] = [value]
    return c


def ldap_defaults(p: LdapProvider) -> Config:
    username, rdn, uuid, classes = _VENDOR_DEFAULTS[p.vendor]
    return {
        "usernameLDAPAttribute": [username],
        "rdnLDAPAttribute": [rdn],
        "uuidLDAPAttribute": [uuid],
        "userObjectClasses": [classes],
        "searchScope": ["1"],
        "enabled": ["true"],
        "priority": ["0"],
        "importEnabled": ["true"],
        "fullSyncPeriod": ["-1"],
        "changedSyncPeriod": ["-1"],
    }


# Config keys the typed LDAP fields own (refused in additionalConfig); a unit test
# checks that ldap_config() sets nothing else.
TYPED_LDAP_KEYS = frozenset(
    {
        "enabled",
        "priority",
        "connectionUrl",
        "authType",
        "bindDn",
        BIND_CREDENTIAL,
        "usersDn",
        "vendor",
        "editMode",
        "usernameLDAPAttribute",
        "rdnLDAPAttribute",
        "uuidLDAPAttribute",
        "userObjectClasses",
        "customUserSearchFilter",
        "searchScope",
        "pagination",
        "batchSizeForSync",
        "startTls",
        "useTruststoreSpi",
        "connectionPooling",
        "connectionTimeout",
        "readTimeout",
        "importEnabled",
        "syncRegistrations",
        "trustEmail",
        "fullSyncPeriod",
        "changedSyncPeriod",
    }
)


def kerberos_config(p: KerberosProvider) -> Config:
    c: Config = {}
    _put(c, "enabled", p.enabled)
    _put(c, "priority", p.priority)
    _put(c, "kerberosRealm", p.kerberos_realm)
    _put(c, "serverPrincipal", p.server_principal)
    _put(c, "keyTab", p.key_tab)
    _put(c, "debug", p.debug)
    _put(c, "allowPasswordAuthentication", p.allow_password_authentication)
    _put(c, "editMode", p.edit_mode.value if p.edit_mode else None)
    _put(c, "updateProfileFirstLogin", p.update_profile_first_login)
    return c


def kerberos_defaults() -> Config:
    return {"enabled": ["true"], "priority": ["0"]}


# --- mappers ---------------------------------------------------------------------


def mapper_provider(m: LdapMapper) -> str:
    if m.user_attribute is not None:
        return "user-attribute-ldap-mapper"
    if m.group is not None:
        return "group-ldap-mapper"
    if m.role is not None:
        return "role-ldap-mapper"
    assert m.custom is not None  # admission: exactly one kind
    return m.custom.provider_id


def _user_attribute(u: UserAttributeMapper) -> Config:
    c: Config = {}
    _put(c, "user.model.attribute", u.user_model_attribute)
    _put(c, "ldap.attribute", u.ldap_attribute)
    _put(c, "read.only", u.read_only)
    _put(c, "always.read.value.from.ldap", u.always_read_value_from_ldap)
    _put(c, "is.mandatory.in.ldap", u.is_mandatory_in_ldap)
    _put(c, "attribute.default.value", u.attribute_default_value)
    _put(c, "is.binary.attribute", u.is_binary_attribute)
    return c


def _membership(m: GroupMapper | RoleMapper, noun: str) -> Config:
    """The keys group and role mappers share; `noun` is group or role."""
    c: Config = {}
    if m.object_classes is not None:
        _put(c, f"{noun}.object.classes", ", ".join(m.object_classes))
    _put(c, f"{noun}.name.ldap.attribute", m.name_attribute)
    _put(c, "membership.ldap.attribute", m.membership_attribute)
    _put(c, "membership.attribute.type", m.membership_attribute_type)
    _put(c, "membership.user.ldap.attribute", m.membership_user_attribute)
    _put(c, f"{noun}s.ldap.filter", m.filter)
    _put(c, "mode", m.mode)
    if m.memberships_from_member_of is not None:
        plural = noun.upper() + "S"
        strategy = (
            f"GET_{plural}_FROM_USER_MEMBEROF_ATTRIBUTE"
            if m.memberships_from_member_of
            else f"LOAD_{plural}_BY_MEMBER_ATTRIBUTE"
        )
        _put(c, "user.roles.retrieve.strategy", strategy)
    return c


def _group(g: GroupMapper) -> Config:
    c = _membership(g, "group")
    _put(c, "groups.dn", g.groups_dn)
    _put(c, "preserve.group.inheritance", g.preserve_group_inheritance)
    _put(c, "ignore.missing.groups", g.ignore_missing_groups)
    _put(c, "groups.path", g.groups_path)
    _put(c, "drop.non.existing.groups.during.sync", g.drop_non_existing_groups_during_sync)
    return c


def _role(r: RoleMapper) -> Config:
    c = _membership(r, "role")
    _put(c, "roles.dn", r.roles_dn)
    if r.client_id is not None:
        _put(c, "use.realm.roles.mapping", False)
        _put(c, "client.id", r.client_id)
    return c


def _custom(m: CustomMapper) -> Config:
    return {k: [v] for k, v in (m.config or {}).items()}


def mapper_config(m: LdapMapper) -> Config:
    if m.user_attribute is not None:
        return _user_attribute(m.user_attribute)
    if m.group is not None:
        return _group(m.group)
    if m.role is not None:
        return _role(m.role)
    assert m.custom is not None
    return _custom(m.custom)


_MEMBERSHIP_DEFAULTS: Config = {
    "membership.ldap.attribute": ["member"],
    "membership.attribute.type": ["DN"],
    "membership.user.ldap.attribute": ["uid"],
    "memberof.ldap.attribute": ["memberOf"],
    "mode": ["READ_ONLY"],
}


def mapper_defaults(m: LdapMapper) -> Config:
    """What the Admin Console pre-fills for a new mapper of this kind."""
    if m.user_attribute is not None:
        return {
            "read.only": ["true"],
            "always.read.value.from.ldap": ["false"],
            "is.mandatory.in.ldap": ["false"],
            "is.binary.attribute": ["false"],
        }
    if m.group is not None:
        return {
            **_MEMBERSHIP_DEFAULTS,
            "group.name.ldap.attribute": ["cn"],
            "group.object.classes": ["groupOfNames"],
            "preserve.group.inheritance": ["true"],
            "ignore.missing.groups": ["false"],
            "user.roles.retrieve.strategy": ["LOAD_GROUPS_BY_MEMBER_ATTRIBUTE"],
            "groups.path": ["/"],
            "drop.non.existing.groups.during.sync": ["false"],
        }
    if m.role is not None:
        return {
            **_MEMBERSHIP_DEFAULTS,
            "role.name.ldap.attribute": ["cn"],
            "role.object.classes": ["groupOfNames"],
            "user.roles.retrieve.strategy": ["LOAD_ROLES_BY_MEMBER_ATTRIBUTE"],
            "use.realm.roles.mapping": ["true"],
        }
    return {}


# --- comparison ------------------------------------------------------------------


def _normal(key: str, values: list[str]) -> list[str]:
    if key in _LIST_KEYS:
        return [part.strip().lower() for v in values for part in v.split(",") if part.strip()]
    return values


def config_differs(want: Config, have: Mapping[str, list[str]] | None) -> list[str]:
    """The keys of `want` whose value Keycloak does not have (one-sided; the bind
    credential is never compared, Keycloak masks it)."""
    have = have or {}
    return sorted(
        key
        for key, values in want.items()
        if key != BIND_CREDENTIAL and _normal(key, have.get(key) or []) != _normal(key, values)
    )


def merged(have: Mapping[str, list[str]] | None, want: Config) -> Config:
    """Keycloak's config with the spec's keys set on top (other keys kept)."""
    return {**{k: list(v) for k, v in (have or {}).items()}, **want}
