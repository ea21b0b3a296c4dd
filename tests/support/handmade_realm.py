"""The hand-made realm of the export tests, and how two realms are compared.

Used by test_export_round_trip.py and test_export_adopt.py.

A realm is built by hand through the Admin API (settings, an untyped setting, SMTP
with a password, roles with composites, nested groups with role mappings, a client
scope with a mapper and scope mappings, an OIDC identity provider with a secret
and a mapper, LDAP federation against the real slapd (with Keycloak's default
mappers), confidential/public/bearer-only clients with mappers, roles and a service
account, a user in a group). It is exported, the Secret stubs are filled,
and the export is applied under a new realm name with the controllers running;
the two realms are then compared field by field through the Admin API.

Ignored by the comparison (IGNORED below), and why:
- ids, containerId, parent ids: Keycloak makes new ones;
- the realm's name (and the names derived from it: default-roles-<realm>);
- createdTimestamp, client.secret.creation.time, notBefore: time stamps;
- client secrets, the IdP's clientSecret, the SMTP password, the LDAP bind
  credential: secret values
  (Keycloak masks the last two on read anyway);
- attributes and config keys under keycloak-controller.dev/ (the controller's
  ownership stamps and secret digests) and io.kubernetes.* (the seed operator's);
- the realm's own SMTP-digest attribute (under the same prefix);
- internalId and organizationId of an identity provider (ids);
- users imported from LDAP (federationLink set): they come from the directory, imported
  when Keycloak looks them up, and the export leaves them to the provider;
- a key Keycloak fills with its default on a write path the hand-made object never
  took (KEYCLOAK_FILLED_DEFAULTS), when the other side lacks it;
- standardFlowEnabled of a bearer-only client: meaningless there (Keycloak never
  runs a flow for it) and the CRD refuses flows on BearerOnly, so the controller
  writes false where a hand-made one says true.

The further sections and clients (handmade_realm_sections.py, handmade_clients.py)
list what they ignore in their own docstrings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml

from keycloak_controller.controllers.ownership import PREFIX
from keycloak_controller.controllers.realm_federation_config import LDAP_MAPPER, USER_STORAGE
from keycloak_controller.export.bundle import Document, Names
from keycloak_controller.export.exporter import ExportOptions, export_realm
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import (
    ClientRepresentation,
    ClientScopeRepresentation,
    ComponentRepresentation,
    GroupRepresentation,
    IdentityProviderMapperRepresentation,
    IdentityProviderRepresentation,
    ProtocolMapperRepresentation,
    RealmRepresentation,
    RoleRepresentation,
    UserRepresentation,
)
from keycloak_controller.keycloak.transport import TransportSettings
from tests.support.controller_harness import (
    Kube,
    keycloak_object,
    wait_until,
)
from tests.support.handmade_clients import (
    CLIENT_FILLED_DEFAULTS,
    CLIENT_SECRET_VALUES,
    build_more_clients,
    snapshot_more_clients,
)
from tests.support.handmade_realm_sections import (
    SECTION_FILLED_DEFAULTS,
    SECTION_SECRET_VALUES,
    build_sections,
    snapshot_sections,
)
from tests.support.keycloak_server import KeycloakEndpoint
from tests.support.ldap_server import LdapEndpoint

TIMEOUT = 120.0
IDP_SECRET = "idp-secret-value"
SMTP_PASSWORD = "smtp-password-value"
IGNORED_KEYS = frozenset(
    {
        "id",
        "internalId",
        "containerId",
        "parentId",
        "createdTimestamp",
        "notBefore",
        "secret",
        "realm",
        "organizationId",
        # Flow ids; handmade_clients compares the overrides by alias.
        "authenticationFlowBindingOverrides",
    }
)
IGNORED_ATTRIBUTE_PREFIXES = (PREFIX, "io.kubernetes.", "client.secret.creation.time")
# What the seed operator stamps on the realms and clients it manages.
SEED_OWNERSHIP = {
    "io.kubernetes.managed-by": "keycloak-operator",
    "io.kubernetes.operator-instance": "seed-1",
    "io.kubernetes.cr-namespace": "identity",
    "io.kubernetes.cr-name": "handmade",
    "io.kubernetes.created-at": "2026-01-01T00:00:00Z",
}
# Keys Keycloak fills with its default on a write path (a client PUT, a mapper created
# through its own endpoint) that the hand-made objects never took: absent and this
# value mean the same to Keycloak, so absence on one side matches this value.
KEYCLOAK_FILLED_DEFAULTS: dict[str, Any] = {
    # LDAP provider keys a new provider gets from the controller (ldap_defaults, what the
    # Admin Console pre-fills); Keycloak reads them absent as the same.
    "priority": ["0"],
    "fullSyncPeriod": ["-1"],
    "changedSyncPeriod": ["-1"],
    "backchannel.logout.session.required": "true",
    "backchannel.logout.revoke.offline.tokens": "false",
    "oauth2.device.authorization.grant.enabled": "false",
    "introspection.token.claim": "true",
}
FILLED_DEFAULTS: dict[str, Any] = {
    **KEYCLOAK_FILLED_DEFAULTS,
    **SECTION_FILLED_DEFAULTS,
    **CLIENT_FILLED_DEFAULTS,
}
AUDIT_LINE = re.compile(
    r"keycloak write\s+change=(.*?) (?:controller|cr_kind)=.*?method=(\S+) path=(\S+)"
)
PLURALS = {
    "Keycloak": "keycloaks",
    "KeycloakRealm": "keycloakrealms",
    "KeycloakClient": "keycloakclients",
    "KeycloakUser": "keycloakusers",
}


@contextmanager
def long_admin(keycloak: KeycloakEndpoint) -> Iterator[KeycloakAdmin]:
    """The test's own Admin API client; creating a realm can take long on a busy machine."""
    settings = TransportSettings(read_timeout=180.0)
    with KeycloakAdmin.with_password(
        keycloak.base_url, keycloak.admin_username, keycloak.admin_password, settings=settings
    ) as made:
        yield made


def build_realm(admin: KeycloakAdmin, name: str, ldap: LdapEndpoint) -> None:
    """A realm made by hand, every exported section populated."""
    admin.realms.create(
        RealmRepresentation.model_validate(
            {
                "realm": name,
                "enabled": True,
                "displayName": "Hand made",
                "registrationAllowed": True,
                "resetPasswordAllowed": True,
                "sslRequired": "none",
                "accessTokenLifespan": 600,
                "ssoSessionIdleTimeout": 3600,
                "bruteForceProtected": True,
                "failureFactor": 5,
                "internationalizationEnabled": True,
                "supportedLocales": ["en", "de"],
                "defaultLocale": "en",
                "eventsEnabled": True,
                "eventsExpiration": 3600,
                "passwordPolicy": "length(10)",
                "otpPolicyDigits": 8,
                "userManagedAccessAllowed": True,  # no typed field: additionalSettings
                "attributes": {"team": "identity", **SEED_OWNERSHIP},
                "smtpServer": {
                    "host": "smtp.example.test",
                    "port": "587",
                    "from": "no-reply@example.test",
                    "starttls": "true",
                    "auth": "true",
                    "user": "mailer",
                    "password": SMTP_PASSWORD,
                },
            }
        )
    )
    admin.roles.create(name, RoleRepresentation(name="viewer", description="Reads"))
    admin.roles.create(name, RoleRepresentation(name="editor"))
    admin.roles.add_composites(name, "editor", [admin.roles.get(name, "viewer")])
    eng = admin.groups.create(
        name, GroupRepresentation.model_validate({"name": "eng", "attributes": {"t": ["1"]}})
    )
    backend = admin.groups.create(name, GroupRepresentation(name="backend"), parent_id=eng)
    admin.group_role_mappings.add(name, backend, [admin.roles.get(name, "editor")])
    scope = admin.client_scopes.create(
        name,
        ClientScopeRepresentation.model_validate(
            {
                "name": "team",
                "protocol": "openid-connect",
                "attributes": {"include.in.token.scope": "true", "gui.order": "3"},
            }
        ),
    )
    admin.client_scope_protocol_mappers.create(
        name,
        scope,
        ProtocolMapperRepresentation.model_validate(
            {
                "name": "team-claim",
                "protocol": "openid-connect",
                "protocolMapper": "oidc-hardcoded-claim-mapper",
                "config": {"claim.name": "team", "claim.value": "id", "access.token.claim": "true"},
            }
        ),
    )
    admin.client_scopes.add_scope_mappings(name, scope, [admin.roles.get(name, "viewer")])
    admin.identity_providers.create(
        name,
        IdentityProviderRepresentation.model_validate(
            {
                "alias": "corp",
                "providerId": "oidc",
                "enabled": True,
                "trustEmail": True,
                "config": {
                    "authorizationUrl": "https://idp.example.test/auth",
                    "tokenUrl": "https://idp.example.test/token",
                    "clientId": "kc",
                    "clientSecret": IDP_SECRET,
                    "clientAuthMethod": "client_secret_post",
                    "syncMode": "IMPORT",
                    "guiOrder": "1",
                },
            }
        ),
    )
    admin.identity_providers.create_mapper(
        name,
        "corp",
        IdentityProviderMapperRepresentation.model_validate(
            {
                "name": "dept",
                "identityProviderAlias": "corp",
                "identityProviderMapper": "oidc-user-attribute-idp-mapper",
                "config": {"claim": "dept", "user.attribute": "dept", "syncMode": "INHERIT"},
            }
        ),
    )
    api = admin.clients.create(
        name,
        ClientRepresentation.model_validate(
            {
                "clientId": "api",
                "publicClient": False,
                "serviceAccountsEnabled": True,
                "standardFlowEnabled": True,
                "redirectUris": ["https://api.example.test/cb"],
                "webOrigins": ["https://api.example.test"],
                "attributes": {
                    "post.logout.redirect.uris": "https://api.example.test/bye",
                    **SEED_OWNERSHIP,
                },
                "protocolMappers": [
                    {
                        "name": "aud",
                        "protocol": "openid-connect",
                        "protocolMapper": "oidc-audience-mapper",
                        "config": {
                            "included.client.audience": "api",
                            "access.token.claim": "true",
                        },
                    }
                ],
            }
        ),
    )
    admin.roles.create(name, RoleRepresentation(name="call"), client_uuid=api)
    account_user = admin.clients.service_account_user_id(name, api)
    admin.user_role_mappings.add(name, account_user, [admin.roles.get(name, "viewer")])
    admin.clients.create(
        name,
        ClientRepresentation.model_validate(
            {
                "clientId": "spa",
                "publicClient": True,
                "redirectUris": ["https://spa.example.test/*"],
                "attributes": {"pkce.code.challenge.method": "S256"},
                "optionalClientScopes": ["team"],
            }
        ),
    )
    admin.clients.create(
        name, ClientRepresentation.model_validate({"clientId": "backend", "bearerOnly": True})
    )
    # LDAP federation against the real slapd; Keycloak adds its default mappers.
    admin.components.create(
        name,
        ComponentRepresentation.model_validate(
            {
                "name": "corp-ldap",
                "providerId": "ldap",
                "providerType": USER_STORAGE,
                "parentId": admin.realms.get(name).id,
                "config": {
                    "enabled": ["true"],
                    "vendor": ["other"],
                    "editMode": ["READ_ONLY"],
                    "connectionUrl": [ldap.url],
                    "authType": ["simple"],
                    "bindDn": [ldap.admin_dn],
                    "bindCredential": [ldap.admin_password],
                    "usersDn": [ldap.people_dn],
                    "usernameLDAPAttribute": ["uid"],
                    "rdnLDAPAttribute": ["uid"],
                    "uuidLDAPAttribute": ["entryUUID"],
                    "userObjectClasses": ["inetOrgPerson, organizationalPerson"],
                    "searchScope": ["1"],
                    "importEnabled": ["true"],
                    "pagination": ["true"],
                },
            }
        ),
    )
    # The sections come before the user: Keycloak gives a new user the realm's default
    # required actions, and the copy's users are created after its realm is reconciled.
    build_sections(admin, name)
    user = admin.users.create(
        name,
        UserRepresentation.model_validate(
            {"username": "ada", "email": "ada@example.test", "firstName": "Ada", "enabled": True}
        ),
    )
    admin.users.join_group(name, user, backend)
    build_more_clients(admin, name)


# --- comparison ------------------------------------------------------------------


def _clean(value: Any, realm: str) -> Any:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in IGNORED_KEYS or str(k).startswith(IGNORED_ATTRIBUTE_PREFIXES):
                continue
            out[k] = _clean(v, realm)
        return out
    if isinstance(value, list):
        items = [_clean(v, realm) for v in value]
        return sorted(items, key=repr)
    if isinstance(value, str):
        return value.replace(realm, "<realm>")
    return value


def snapshot(admin: KeycloakAdmin, realm: str, users: bool = True) -> dict[str, Any]:
    """The realm and its parts as comparable plain data."""

    def dump(model: Any) -> Any:
        return model.model_dump(by_alias=True, exclude_none=True, mode="json")

    rep = dump(admin.realms.get(realm))
    smtp = rep.get("smtpServer") or {}
    smtp.pop("password", None)  # masked
    clients = {}
    for c in admin.clients.iter_all(realm):
        body = dump(c)
        if c.bearer_only:
            body.pop("standardFlowEnabled", None)  # see the module docstring
        uuid = c.id or ""
        body["roles"] = [dump(r) for r in admin.roles.list(realm, uuid)]
        if c.service_accounts_enabled:
            sa = admin.clients.service_account_user(realm, uuid)
            body["serviceAccountRoles"] = sorted(
                r.name or "" for r in admin.user_role_mappings.list(realm, sa.id or "")
            )
        clients[c.client_id] = body
    roles = {}
    for r in admin.roles.iter_all(realm):
        body = dump(r)
        if r.composite:
            body["composites"] = sorted(
                x.name or "" for x in admin.roles.composites(realm, r.name or "")
            )
        roles[(r.name or "").replace(realm, "<realm>")] = body
    groups = {}
    for g in admin.groups.iter_tree(realm):
        body = dump(g)
        body.pop("subGroups", None)
        body["roles"] = dump(admin.group_role_mappings.all(realm, g.id or ""))
        groups[g.path] = body
    scopes = {}
    for s in admin.client_scopes.list(realm):
        body = dump(s)
        body["scopeMappings"] = dump(admin.client_scopes.scope_mappings(realm, s.id or ""))
        scopes[s.name] = body
    idps = {}
    for i in admin.identity_providers.list(realm):
        body = dump(i)
        body.get("config", {}).pop("clientSecret", None)
        body["mappers"] = [dump(m) for m in admin.identity_providers.mappers(realm, i.alias or "")]
        idps[i.alias] = body
    storage = {}
    for component in admin.components.list(
        realm, parent=admin.realms.get(realm).id, provider_type=USER_STORAGE
    ):
        body = dump(component)
        body.get("config", {}).pop("bindCredential", None)  # a secret value (masked)
        body["mappers"] = {
            m.name: dump(m)
            for m in admin.components.list(
                realm, parent=component.id or "", provider_type=LDAP_MAPPER
            )
        }
        storage[component.name] = body
    out: dict[str, Any] = {
        "realm": rep,
        "userFederation": storage,
        "clients": clients,
        "roles": roles,
        "groups": groups,
        "scopes": scopes,
        "identityProviders": idps,
        "defaultScopes": sorted(admin.realms.default_client_scopes(realm)),
        "optionalScopes": sorted(admin.realms.default_client_scopes(realm, optional=True)),
    }
    out.update(snapshot_sections(admin, realm))
    out.update(snapshot_more_clients(admin, realm))
    if users:
        out["users"] = {
            u.username: {
                # Not requiredActions: Keycloak adds the realm's default actions to a user
                # when it is created, so they follow creation order, not the export.
                **{k: v for k, v in dump(u).items() if k != "requiredActions"},
                "groups": sorted(g.path or "" for g in admin.users.iter_groups(realm, u.id or "")),
            }
            for u in admin.users.iter_all(realm)
            if not u.service_account_client_id and not u.federation_link
        }
    cleaned: dict[str, Any] = _clean(out, realm)
    return cleaned


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b), key=str):
            one = a.get(key, b.get(key))
            if (key not in a or key not in b) and FILLED_DEFAULTS.get(key) == one:
                continue
            if key not in a or key not in b:
                out.append(f"{path}/{key}: only in {'original' if key in a else 'copy'}")
            else:
                out.extend(differences(a[key], b[key], f"{path}/{key}"))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


# --- applying the export ---------------------------------------------------------


def secret_values(ldap: LdapEndpoint) -> dict[str, str]:
    """What the export's Secret stubs are filled with, by key suffix."""
    return {
        "client-secret": IDP_SECRET,
        "smtp-password": SMTP_PASSWORD,
        "bind-credential": ldap.admin_password,
        **SECTION_SECRET_VALUES,
        **CLIENT_SECRET_VALUES,
    }


def fill(documents: list[Document], values: dict[str, str]) -> list[dict[str, Any]]:
    """The documents as objects, Secret stubs filled with `values` by key suffix."""
    objects = []
    for document in documents:
        body = yaml.safe_load(document.render())
        if body["kind"] == "Secret":
            body["stringData"] = {
                key: next(v for suffix, v in values.items() if key.endswith(suffix))
                for key in body["stringData"]
            }
        objects.append(body)
    return objects


def apply(kube: Kube, objects: list[dict[str, Any]]) -> None:
    for body in objects:
        namespace = body["metadata"]["namespace"]
        if body["kind"] == "Secret":
            kube.secret(namespace, body["metadata"]["name"], body["stringData"])
        else:
            kube.create(PLURALS[body["kind"]], namespace, body)


def wait_all_ready(kube: Kube, objects: list[dict[str, Any]]) -> None:
    for body in objects:
        if body["kind"] in PLURALS:
            plural, meta = PLURALS[body["kind"]], body["metadata"]

            def ready(p: str = plural, m: dict[str, str] = meta) -> bool:
                return kube.is_ready(p, m["namespace"], m["name"])

            wait_until(
                ready,
                TIMEOUT,
                f"{body['kind']} {meta['name']} Ready (reason: "
                f"{kube.reason(plural, meta['namespace'], meta['name'])})",
            )


def exported(admin: KeycloakAdmin, realm: str, namespace: str, *, adopt: bool) -> list[Document]:
    options = ExportOptions(
        namespace=namespace, keycloak_name="kc", include_users=True, adopt=adopt
    )
    return export_realm(admin, realm, options, Names()).documents


def keycloak_objects(keycloak: KeycloakEndpoint, namespace: str) -> list[dict[str, Any]]:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "admin", "namespace": namespace},
        "stringData": {"username": keycloak.admin_username, "password": keycloak.admin_password},
    }
    kc = keycloak_object("kc", keycloak, "admin")
    kc["metadata"]["namespace"] = namespace
    return [secret, kc]


def controller_writes(output: str, namespace: str) -> list[str]:
    """`METHOD path` of every Keycloak write the controllers made for `namespace`'s objects
    (from the audit trail, runtime/audit.py)."""
    return [
        f"{m.group(2)} {m.group(3)} ({m.group(1)})"
        for line in output.splitlines()
        if f"cr_namespace={namespace}" in line
        and "keycloak write done" not in line
        and (m := AUDIT_LINE.search(line))
    ]
