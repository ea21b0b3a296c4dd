"""A realm's user federation (`spec.userFederation`): LDAP and Kerberos providers.

Each provider is a Keycloak component (`org.keycloak.storage.UserStorageProvider`)
keyed by its name; an LDAP provider's mappers are components below it. Field
names follow the Admin Console's labels; the controller maps them to Keycloak's
config keys (lists of strings) in `controllers/realm_federation_config.py`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from .base import (
    INT32_MAX,
    MAX_NAME,
    MAX_TEXT,
    MAX_URL,
    Rule,
    SpecModel,
    cel,
    exactly_one,
    list_map,
)
from .common import SecretKeySelector

# Keycloak accepts several space-separated URLs (tried in order).
LDAP_URL = r"^ldaps?://[^\s]+( ldaps?://[^\s]+)*$"
MAX_MAPPERS = 64
MAX_PROVIDERS = 16

PROVIDERS_REMOVAL = (
    "Owned-only: items this resource created are removed when no longer listed; "
    "items created elsewhere are left alone."
)
MAPPERS_REMOVAL = (
    "Authoritative: when set, anything not listed is removed, Keycloak's default mappers "
    "(username, email, first name, last name, creation date, modify date, and on 26 the "
    "Kerberos principal attribute mapper) included; list the ones to keep. Unset: the "
    "provider's mappers are not managed, so Keycloak's defaults stay as created."
)

Text = Annotated[str, Field(max_length=MAX_TEXT)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]


class LdapVendor(enum.StrEnum):
    OTHER = "other"
    ACTIVE_DIRECTORY = "ad"
    RED_HAT_DIRECTORY_SERVER = "rhds"
    TIVOLI = "tivoli"
    EDIRECTORY = "edirectory"


class LdapEditMode(enum.StrEnum):
    READ_ONLY = "READ_ONLY"
    WRITABLE = "WRITABLE"
    UNSYNCED = "UNSYNCED"


class KerberosEditMode(enum.StrEnum):
    READ_ONLY = "READ_ONLY"
    UNSYNCED = "UNSYNCED"


class SearchScope(enum.StrEnum):
    ONE_LEVEL = "OneLevel"
    SUBTREE = "Subtree"


class MembershipType(enum.StrEnum):
    DN = "DN"
    UID = "UID"


class MapperMode(enum.StrEnum):
    READ_ONLY = "READ_ONLY"
    IMPORT = "IMPORT"
    LDAP_ONLY = "LDAP_ONLY"


def _priority() -> Any:
    return Field(
        default=None,
        ge=0,
        le=INT32_MAX,
        description="Order among the realm's user storage providers (lower first).",
        json_schema_extra={"format": "int32"},
    )


class UserAttributeMapper(SpecModel):
    """`user-attribute-ldap-mapper`: one LDAP attribute as one user attribute."""

    user_model_attribute: Name = Field(
        description="The Keycloak user attribute: username, email, firstName, lastName or "
        "any user-profile attribute."
    )
    ldap_attribute: Name = Field(description="The LDAP attribute, e.g. uid, mail, cn.")
    read_only: bool | None = Field(
        default=None,
        description="Keycloak never writes it to LDAP. Keycloak's default: true; false needs "
        "editMode WRITABLE.",
    )
    always_read_value_from_ldap: bool | None = Field(
        default=None, description="Read from LDAP on every lookup instead of the imported copy."
    )
    is_mandatory_in_ldap: bool | None = Field(
        default=None, description="A user created in Keycloak must have it to be written to LDAP."
    )
    attribute_default_value: Text | None = Field(
        default=None, description="The value written to LDAP when the user has none."
    )
    is_binary_attribute: bool | None = Field(
        default=None, description="The LDAP attribute is binary (e.g. jpegPhoto)."
    )


class _MembershipMapper(SpecModel):
    object_classes: list[Name] | None = Field(
        default=None,
        max_length=16,
        description="Object classes of the LDAP entries. Keycloak's default: groupOfNames.",
    )
    name_attribute: Name | None = Field(
        default=None, description="The LDAP attribute holding the name. Keycloak's default: cn."
    )
    membership_attribute: Name | None = Field(
        default=None,
        description="The LDAP attribute listing the members. Keycloak's default: member.",
    )
    membership_attribute_type: MembershipType | None = Field(
        default=None,
        description="DN: members are listed by DN; UID: by the user's uid. Keycloak's default: DN.",
    )
    membership_user_attribute: Name | None = Field(
        default=None,
        description="With membershipAttributeType UID: the user's attribute the members "
        "list. Keycloak's default: uid.",
    )
    filter: Text | None = Field(
        default=None,
        pattern=r"^\(.*\)$",
        description="An extra LDAP filter, in parentheses, e.g. (cn=app-*).",
    )
    mode: MapperMode | None = Field(
        default=None,
        description="READ_ONLY: read from LDAP; IMPORT: imported once, then kept in Keycloak; "
        "LDAP_ONLY: read and written in LDAP (needs editMode WRITABLE). Keycloak's default: "
        "READ_ONLY.",
    )
    memberships_from_member_of: bool | None = Field(
        default=None,
        description="Read a user's memberships from its memberOf attribute instead of "
        "searching by member (the retrieve strategy GET_*_FROM_USER_MEMBEROF_ATTRIBUTE).",
    )


class GroupMapper(_MembershipMapper):
    """`group-ldap-mapper`: LDAP groups as Keycloak groups (and memberships)."""

    groups_dn: Name = Field(description="Where the groups are, e.g. ou=groups,dc=example,dc=org.")
    preserve_group_inheritance: bool | None = Field(
        default=None, description="Keep LDAP subgroups as subgroups. Keycloak's default: true."
    )
    ignore_missing_groups: bool | None = Field(
        default=None, description="Ignore memberships of groups that are not found."
    )
    groups_path: Text | None = Field(
        default=None,
        pattern=r"^/",
        description="The Keycloak group the LDAP groups are placed under. Keycloak's "
        "default: / (top level).",
    )
    drop_non_existing_groups_during_sync: bool | None = Field(
        default=None, description="A sync removes Keycloak groups that are not in LDAP."
    )


class RoleMapper(_MembershipMapper):
    """`role-ldap-mapper`: LDAP groups as realm roles (or client roles)."""

    roles_dn: Name = Field(
        description="Where the role entries are, e.g. ou=roles,dc=example,dc=org."
    )
    client_id: Name | None = Field(
        default=None,
        description="Map to roles of this client (clientId) instead of realm roles.",
    )


class CustomMapper(SpecModel):
    """Any other mapper, by provider id, with its raw config."""

    provider_id: Name = Field(
        description="e.g. hardcoded-ldap-role-mapper, hardcoded-attribute-mapper, "
        "full-name-ldap-mapper, certificate-ldap-mapper, msad-user-account-control-mapper."
    )
    config: dict[str, Text] | None = Field(
        default=None,
        description="The mapper's config keys and values; only the listed keys are managed.",
    )


class LdapMapper(SpecModel):
    """One mapper of an LDAP provider; exactly one kind is set."""

    model_config = ConfigDict(
        json_schema_extra=cel(
            Rule(
                exactly_one("userAttribute", "group", "role", "custom"),
                "set exactly one of userAttribute, group, role, custom",
            )
        )
    )

    name: Name = Field(description="The mapper's name, unique within the provider.")
    user_attribute: UserAttributeMapper | None = Field(
        default=None, description="A user-attribute-ldap-mapper."
    )
    group: GroupMapper | None = Field(default=None, description="A group-ldap-mapper.")
    role: RoleMapper | None = Field(default=None, description="A role-ldap-mapper.")
    custom: CustomMapper | None = Field(
        default=None, description="Any other mapper, by provider id."
    )


class LdapSync(SpecModel):
    """Periodic synchronisation from LDAP (needs importUsers)."""

    full_sync_period_seconds: int | None = Field(
        default=None,
        ge=0,
        le=INT32_MAX,
        description="Import every LDAP user this often; 0: off.",
        json_schema_extra={"format": "int32"},
    )
    changed_users_sync_period_seconds: int | None = Field(
        default=None,
        ge=0,
        le=INT32_MAX,
        description="Import users changed in LDAP since the last sync this often; 0: off.",
        json_schema_extra={"format": "int32"},
    )


_LDAP_RULES = cel(
    Rule(
        "has(self.bindDn) == has(self.bindCredentialSecretRef)",
        "bindDn and bindCredentialSecretRef go together (neither: anonymous bind)",
    ),
    Rule(
        "!(has(self.startTls) && self.startTls && self.connectionUrl.startsWith('ldaps://'))",
        "startTls is for ldap:// URLs; an ldaps:// URL is TLS already",
    ),
    Rule(
        "!(has(self.startTls) && self.startTls && "
        "(!has(self.connectionPooling) || self.connectionPooling))",
        "startTls needs connectionPooling: false (Keycloak refuses both together)",
    ),
    Rule(
        "!(self.editMode == 'UNSYNCED' && has(self.importUsers) && !self.importUsers)",
        "editMode UNSYNCED keeps changes in Keycloak's copy: it needs importUsers",
    ),
    Rule(
        "!(has(self.syncRegistrations) && self.syncRegistrations && self.editMode != 'WRITABLE')",
        "syncRegistrations writes new users to LDAP: it needs editMode WRITABLE",
    ),
    Rule(
        "self.editMode == 'WRITABLE' || !has(self.mappers) || self.mappers.all(m, "
        "(!has(m.userAttribute) || !has(m.userAttribute.readOnly) || m.userAttribute.readOnly) "
        "&& (!has(m.group) || !has(m.group.mode) || m.group.mode != 'LDAP_ONLY') "
        "&& (!has(m.role) || !has(m.role.mode) || m.role.mode != 'LDAP_ONLY'))",
        "a mapper that writes to LDAP (readOnly: false, mode LDAP_ONLY) needs editMode WRITABLE",
    ),
    Rule(
        "!has(self.mappers) || self.mappers.exists(m, has(m.userAttribute) && "
        "m.userAttribute.userModelAttribute == 'username')",
        "mappers is authoritative: list a userAttribute mapper for username "
        "(Keycloak's default one is named 'username')",
    ),
)


class LdapProvider(SpecModel):
    """An LDAP user storage provider; unset fields are left as Keycloak has them."""

    model_config = ConfigDict(json_schema_extra=_LDAP_RULES)

    name: Name = Field(description="The provider's name in Keycloak (its key here).")
    enabled: bool | None = Field(default=None, description="Users are looked up in it.")
    priority: int | None = _priority()
    connection_url: str = Field(
        max_length=MAX_URL,
        pattern=LDAP_URL,
        description="ldap:// or ldaps:// URL(s), space-separated. For ldaps:// or startTls "
        "the LDAP server's CA must be in Keycloak's truststore (see useTruststoreSpi).",
    )
    bind_dn: Text | None = Field(
        default=None, description="The DN Keycloak binds as. Unset: anonymous bind."
    )
    bind_credential_secret_ref: SecretKeySelector | None = Field(
        default=None,
        description="The bind DN's password, from a Secret key. Sent to Keycloak, which "
        "masks it on read; a changed Secret is sent again.",
    )
    users_dn: Text = Field(description="Where the users are, e.g. ou=people,dc=example,dc=org.")
    vendor: LdapVendor = Field(
        default=LdapVendor.OTHER,
        description="The LDAP server's kind; picks Keycloak's defaults for it.",
    )
    edit_mode: LdapEditMode = Field(
        default=LdapEditMode.READ_ONLY,
        description="READ_ONLY: LDAP is never written; WRITABLE: changes are written to LDAP; "
        "UNSYNCED: changes stay in Keycloak's imported copy.",
    )
    username_attribute: Name | None = Field(
        default=None,
        description="The LDAP attribute used as the username. Unset: the vendor's default "
        "on create (uid; cn for ad).",
    )
    rdn_attribute: Name | None = Field(
        default=None,
        description="The users' RDN attribute. Unset: the vendor's default on create "
        "(uid; cn for ad).",
    )
    uuid_attribute: Name | None = Field(
        default=None,
        description="The LDAP attribute that is a user's stable id. Unset: the vendor's "
        "default on create (entryUUID; objectGUID for ad, nsuniqueid for rhds, "
        "uniqueidentifier for tivoli, guid for edirectory).",
    )
    user_object_classes: list[Name] | None = Field(
        default=None,
        max_length=16,
        description="Object classes of the users. Unset: the vendor's default on create "
        "(inetOrgPerson, organizationalPerson; person, organizationalPerson, user for ad).",
    )
    user_search_filter: Text | None = Field(
        default=None,
        pattern=r"^\(.*\)$",
        description="An extra LDAP filter for users, in parentheses, e.g. (memberOf=cn=app,...).",
    )
    search_scope: SearchScope | None = Field(
        default=None,
        description="OneLevel: users directly below usersDn; Subtree: anywhere below it.",
    )
    pagination: bool | None = Field(
        default=None, description="Use paged searches (the server must support them)."
    )
    batch_size: int | None = Field(
        default=None,
        ge=1,
        le=INT32_MAX,
        description="Users per transaction when syncing.",
        json_schema_extra={"format": "int32"},
    )
    start_tls: bool | None = Field(
        default=None,
        description="Upgrade an ldap:// connection with StartTLS (needs connectionPooling false).",
    )
    use_truststore_spi: bool | None = Field(
        default=None,
        description="Verify the LDAP server's certificate against Keycloak's truststore "
        "(Keycloak's truststore SPI). The CA must be in that truststore; this controller does "
        "not put it there.",
    )
    connection_pooling: bool | None = Field(default=None, description="Pool LDAP connections.")
    connection_timeout_millis: int | None = Field(
        default=None,
        ge=1,
        le=INT32_MAX,
        description="How long Keycloak waits to connect to LDAP, in milliseconds.",
        json_schema_extra={"format": "int32"},
    )
    read_timeout_millis: int | None = Field(
        default=None,
        ge=1,
        le=INT32_MAX,
        description="How long Keycloak waits for an LDAP answer, in milliseconds.",
        json_schema_extra={"format": "int32"},
    )
    import_users: bool | None = Field(
        default=None,
        description="Import users into Keycloak's database (else they are only proxied).",
    )
    sync_registrations: bool | None = Field(
        default=None, description="Users registered in Keycloak are created in LDAP."
    )
    trust_email: bool | None = Field(
        default=None, description="Emails from LDAP count as verified."
    )
    sync: LdapSync | None = Field(default=None, description="Periodic synchronisation.")
    sync_request: Text | None = Field(
        default=None,
        description="A one-shot full sync: whenever this value changes (any token, e.g. a "
        "date), the controller triggers one full sync of the provider. Unset or unchanged: "
        "nothing happens.",
    )
    additional_config: dict[str, Text] | None = Field(
        default=None,
        max_length=32,
        description="Any other config key of the LDAP provider (e.g. cachePolicy, "
        "validatePasswordPolicy, allowKerberosAuthentication); only the listed keys are "
        "managed. A key that a typed field covers is refused.",
    )
    mappers: list[LdapMapper] | None = Field(
        default=None,
        max_length=MAX_MAPPERS,
        description="The provider's mappers, by name. " + MAPPERS_REMOVAL,
        json_schema_extra=list_map("name"),
    )


class KerberosProvider(SpecModel):
    """A Kerberos (SPNEGO) user storage provider."""

    name: Name = Field(description="The provider's name in Keycloak (its key here).")
    enabled: bool | None = Field(default=None, description="Users are looked up in it.")
    priority: int | None = _priority()
    kerberos_realm: Name = Field(description="The Kerberos realm, e.g. EXAMPLE.ORG.")
    server_principal: Text = Field(
        description="Keycloak's service principal, e.g. HTTP/sso.example.org@EXAMPLE.ORG."
    )
    key_tab: Text = Field(
        pattern=r"^/",
        description="Path of the keytab file *on the Keycloak server* (Keycloak reads it "
        "there; it is not uploaded). The file must hold the server principal's key.",
    )
    debug: bool | None = Field(default=None, description="Kerberos debug logging on Keycloak.")
    allow_password_authentication: bool | None = Field(
        default=None, description="Users may log in with their Kerberos password too."
    )
    edit_mode: KerberosEditMode | None = Field(
        default=None,
        description="With allowPasswordAuthentication: READ_ONLY refuses password changes; "
        "UNSYNCED keeps them in Keycloak.",
    )
    update_profile_first_login: bool | None = Field(
        default=None, description="Users update their profile on first login."
    )


class UserFederation(SpecModel):
    """User storage providers by kind. A kind left unset is not managed."""

    ldap: list[LdapProvider] | None = Field(
        default=None,
        max_length=MAX_PROVIDERS,
        description="LDAP providers, by name. " + PROVIDERS_REMOVAL,
        json_schema_extra=list_map("name"),
    )
    kerberos: list[KerberosProvider] | None = Field(
        default=None,
        max_length=MAX_PROVIDERS,
        description="Kerberos providers, by name. " + PROVIDERS_REMOVAL,
        json_schema_extra=list_map("name"),
    )


def user_federation_field() -> Any:
    return Field(
        default=None,
        description="User federation: LDAP and Kerberos user storage providers. Unset: not "
        "managed. Providers are owned-only (one made by hand is never deleted); an LDAP "
        "provider's mappers are authoritative when listed. See docs/realm-federation.md.",
        json_schema_extra=cel(
            Rule(
                "!has(self.ldap) || !has(self.kerberos) || "
                "self.ldap.all(l, !self.kerberos.exists(k, k.name == l.name))",
                "an LDAP and a Kerberos provider cannot share a name",
            )
        ),
    )


def user_federation_secret_refs(spec: UserFederation | None) -> Iterator[SecretKeySelector]:
    """Every Secret key the section reads (for the Secret index and watch)."""
    if spec is None:
        return
    for provider in spec.ldap or ():
        if provider.bind_credential_secret_ref is not None:
            yield provider.bind_credential_secret_ref
