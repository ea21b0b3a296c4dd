"""spec.userFederation against a real OpenLDAP slapd and real Keycloaks.

Behaviour (canonical version): an LDAP user logs in to the realm; its LDAP group
becomes a Keycloak group it is a member of (group mapper); its LDAP role entry
becomes a realm role in its token (role mapper); a changed syncRequest imports a
user added to LDAP afterwards, once. A wrong bind password in the Secret is a
Ready=False condition naming the Secret, with nothing written; fixing the Secret
heals it. On every version: the LDAP provider and its mappers are created,
drift is corrected (config and a deleted mapper), Keycloak's default mappers are
removed when mappers are listed (authoritative), a rotated Secret is re-sent
(proven by a login), the second pass writes nothing, and unlisting deletes the
provider this resource created but never one made by hand. Kerberos: the
provider's config read back (no KDC here: see docs/realm-federation.md).
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from kubernetes.client.exceptions import ApiException

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import ClientRepresentation, ComponentRepresentation
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    keycloak_requests,
    log_in,
    realm_object,
    running_controllers,
    wait_idle,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.kdc import Kdc
from tests.support.keycloak_server import KeycloakEndpoint
from tests.support.ldap_server import LdapEndpoint
from tests.support.shared import SharedEnvironment

TIMEOUT = 90.0
USER_STORAGE = "org.keycloak.storage.UserStorageProvider"
LDAP_MAPPER = "org.keycloak.storage.ldap.mappers.LDAPStorageMapper"
DEFAULT_MAPPERS = {"username", "email", "first name", "last name", "creation date"}


def login_client(admin: KeycloakAdmin, realm: str) -> None:
    admin.clients.create(
        realm,
        ClientRepresentation(
            client_id="login", public_client=True, direct_access_grants_enabled=True
        ),
    )


def providers(
    admin: KeycloakAdmin, realm: str, provider_id: str
) -> dict[str, ComponentRepresentation]:
    realm_id = admin.realms.get(realm).id
    found = admin.components.list(realm, parent=realm_id, provider_type=USER_STORAGE)
    return {c.name or "": c for c in found if c.provider_id == provider_id}


def mappers(
    admin: KeycloakAdmin, realm: str, provider: ComponentRepresentation
) -> dict[str, ComponentRepresentation]:
    found = admin.components.list(realm, parent=provider.id, provider_type=LDAP_MAPPER)
    return {m.name or "": m for m in found}


def ldap_provider(ldap: LdapEndpoint, name: str, secret: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "connectionUrl": ldap.url,
        "bindDn": ldap.admin_dn,
        "bindCredentialSecretRef": {"name": secret, "key": "password"},
        "usersDn": ldap.people_dn,
        "vendor": "other",
        "editMode": "READ_ONLY",
        "usernameAttribute": "uid",
        "rdnAttribute": "uid",
        "uuidAttribute": "entryUUID",
        "userObjectClasses": ["inetOrgPerson", "organizationalPerson"],
        **fields,
    }


def username_mapper() -> dict[str, Any]:
    return {
        "name": "username",
        "userAttribute": {"userModelAttribute": "username", "ldapAttribute": "uid"},
    }


def user_count(admin: KeycloakAdmin, realm: str) -> int:
    """Users in Keycloak's database (imported ones included; LDAP is not asked)."""
    count = admin.transport.request_json("GET", f"/admin/realms/{realm}/users/count")
    assert isinstance(count, int)
    return count


def can_log_in(endpoint: KeycloakEndpoint, realm: str, username: str, password: str) -> bool:
    """While Keycloak still binds with a stale password its LDAP search fails (HTTP 500)."""
    try:
        return log_in(endpoint, realm, username, password) is not None
    except requests.HTTPError:
        return False


def message(kube: Kube, ns: str, name: str) -> str:
    return str((kube.condition("keycloakrealms", ns, name) or {}).get("message", ""))


def patch_federation(kube: Kube, ns: str, federation: dict[str, Any]) -> None:
    kube.patch("keycloakrealms", ns, "realm", {"spec": {"userFederation": federation}})


def test_ldap_users_log_in_with_groups_roles_and_sync_on_request(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    ldap: LdapEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
    direct_admin: KeycloakAdmin,
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ldap-login"))
    uid, password = unique_name("alice"), secrets.token_urlsafe(12)
    user_dn = ldap.add_user(uid, password)
    group = unique_name("ldapgroup")
    role = unique_name("ldaprole")
    # Each test's own subtrees: the mappers see only this test's groups and roles.
    groups_ou, roles_ou = unique_name("groups"), unique_name("roles")
    groups_dn = f"ou={groups_ou},{ldap.base_dn}"
    roles_dn = f"ou={roles_ou},{ldap.base_dn}"
    ldap.add(
        f"dn: {groups_dn}\nobjectClass: organizationalUnit\nou: {groups_ou}\n\n"
        f"dn: {roles_dn}\nobjectClass: organizationalUnit\nou: {roles_ou}\n\n"
        f"dn: cn={group},{groups_dn}\nobjectClass: groupOfNames\ncn: {group}\n"
        f"member: {user_dn}\n\n"
        f"dn: cn={role},{roles_dn}\nobjectClass: groupOfNames\ncn: {role}\nmember: {user_dn}\n"
    )
    kube.secret(ns, "ldap", {"password": ldap.admin_password})
    provider = ldap_provider(
        ldap,
        "corp",
        "ldap",
        userSearchFilter=f"(|(uid={uid})(uid=late-*))",
        syncRequest="first",
        mappers=[
            username_mapper(),
            {
                "name": "email",
                "userAttribute": {"userModelAttribute": "email", "ldapAttribute": "mail"},
            },
            {"name": "groups", "group": {"groupsDn": groups_dn, "mode": "READ_ONLY"}},
            {"name": "roles", "role": {"rolesDn": roles_dn, "mode": "READ_ONLY"}},
        ],
    )
    with running_controllers(crds, [ns], resync_period=3.0) as manager:
        realm = ready_realm(ns, userFederation={"ldap": [provider]}, timeout=TIMEOUT).realm_name
        login_client(direct_admin, realm)

        # An LDAP user logs in with its LDAP password; a wrong one is refused.
        assert log_in(keycloak, realm, uid, "not-" + password) is None
        claims = log_in(keycloak, realm, uid, password)
        assert claims is not None and claims["preferred_username"] == uid
        # The role mapper: the LDAP role entry is a realm role in the token.
        assert role in claims["realm_access"]["roles"]
        # The group mapper: the LDAP group is a Keycloak group with the user in it.
        user = direct_admin.users.find(realm, uid)
        assert user is not None and user.id
        assert group in {g.name for g in direct_admin.users.groups(realm, user.id)}
        assert any(g.name == group for g in direct_admin.groups.iter_tree(realm))

        # A user added to LDAP now is imported by the next sync request, once. Nothing
        # looks it up (a lookup would import it too), so the count is the sync's.
        wait_idle(manager, TIMEOUT)
        before = user_count(direct_admin, realm)
        late = "late-" + unique_name("bob")
        ldap.add_user(late, secrets.token_urlsafe(12))
        kube.patch("keycloakrealms", ns, "realm", {"metadata": {"annotations": {"poke": "1"}}})
        wait_idle(manager, TIMEOUT)
        assert user_count(direct_admin, realm) == before  # an unchanged token: no sync
        provider["syncRequest"] = "second"
        patch_federation(kube, ns, {"ldap": [provider]})
        wait_until(
            lambda: user_count(direct_admin, realm) == before + 1, TIMEOUT, "the late user synced"
        )
        imported = direct_admin.users.find(realm, late)
        corp = providers(direct_admin, realm, "ldap")["corp"]
        assert imported is not None and imported.federation_link == corp.id


def test_wrong_bind_password_is_reported_and_a_fixed_secret_heals(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    ldap: LdapEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
    direct_admin: KeycloakAdmin,
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ldap-bind"))
    uid, password = unique_name("carol"), secrets.token_urlsafe(12)
    ldap.add_user(uid, password)
    with running_controllers(crds, [ns], resync_period=3.0):
        realm = ready_realm(ns, timeout=TIMEOUT).realm_name
        login_client(direct_admin, realm)
        kube.secret(ns, "ldap", {"password": "not-the-password"})
        provider = ldap_provider(ldap, "corp", "ldap", userSearchFilter=f"(uid={uid})")
        patch_federation(kube, ns, {"ldap": [provider]})
        wait_until(
            lambda: kube.reason("keycloakrealms", ns, "realm") == "LdapBindFailed",
            TIMEOUT,
            "the bind failure reported",
        )
        text = message(kube, ns, "realm")
        assert "userFederation.ldap[corp].bindCredentialSecretRef" in text
        assert "Secret 'ldap' key 'password'" in text
        assert "not-the-password" not in text
        # Nothing was written: no provider with a wrong password, no LDAP login.
        assert "corp" not in providers(direct_admin, realm, "ldap")
        assert log_in(keycloak, realm, uid, password) is None

        # The Secret fixed: the change of the Secret alone heals it.
        kube.core.patch_namespaced_secret(
            "ldap", ns, {"stringData": {"password": ldap.admin_password}}
        )
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "healed")
        assert log_in(keycloak, realm, uid, password) is not None


def test_ldap_provider_lifecycle_and_drift_on_every_version(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    ldap: LdapEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
    make_admin: Callable[[KeycloakEndpoint], KeycloakAdmin],
) -> None:
    endpoint = keycloak_any_version
    admin = make_admin(endpoint)
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ldap-life"))
    uid, password = unique_name("dave"), secrets.token_urlsafe(12)
    ldap.add_user(uid, password)
    # A second bind DN whose password the test rotates (the admin's stays as it is).
    binder_password = secrets.token_urlsafe(12)
    binder = ldap.add_user(unique_name("binder"), binder_password)
    kube.secret(ns, "ldap", {"password": binder_password})
    provider = ldap_provider(
        ldap,
        "corp",
        "ldap",
        bindDn=binder,
        userSearchFilter=f"(uid={uid})",
        searchScope="Subtree",
        trustEmail=True,
        connectionTimeoutMillis=5000,
        # Every LDAP operation binds anew: a pooled connection would hide a stale password.
        connectionPooling=False,
        sync={"fullSyncPeriodSeconds": 0, "changedUsersSyncPeriodSeconds": 3600},
        mappers=[
            username_mapper(),
            {
                "name": "mail",
                "userAttribute": {
                    "userModelAttribute": "email",
                    "ldapAttribute": "mail",
                    "alwaysReadValueFromLdap": True,
                },
            },
        ],
    )
    with running_controllers(crds, [ns], resync_period=3.0) as manager:
        realm = ready_realm(
            ns, endpoint=endpoint, userFederation={"ldap": [provider]}, timeout=TIMEOUT
        ).realm_name
        login_client(admin, realm)
        corp = providers(admin, realm, "ldap")["corp"]
        config = corp.config or {}
        assert config["connectionUrl"] == [ldap.url]
        assert config["bindDn"] == [binder]
        assert config["searchScope"] == ["2"]
        assert config["trustEmail"] == ["true"]
        assert config["connectionPooling"] == ["false"]
        assert config["fullSyncPeriod"] == ["-1"]
        assert config["changedSyncPeriod"] == ["3600"]
        assert config["bindCredential"] == ["**********"]  # Keycloak masks it
        # Mappers listed: authoritative, so Keycloak's defaults beyond them are gone.
        found = mappers(admin, realm, corp)
        assert set(found) == {"username", "mail"}
        assert (found["mail"].config or {})["always.read.value.from.ldap"] == ["true"]
        assert log_in(endpoint, realm, uid, password) is not None

        # The second pass of an in-sync realm writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        kube.patch("keycloakrealms", ns, "realm", {"metadata": {"annotations": {"poke": "1"}}})
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes

        # Drift: a changed config key and a deleted mapper are put back.
        drifted = corp.model_copy(deep=True)
        drifted.config = {**config, "trustEmail": ["false"], "bindCredential": ["**********"]}
        admin.components.update(realm, corp.id or "", drifted)
        admin.components.delete(realm, found["mail"].id or "")
        wait_until(
            lambda: (
                (providers(admin, realm, "ldap")["corp"].config or {}).get("trustEmail") == ["true"]
                and "mail" in mappers(admin, realm, corp)
            ),
            TIMEOUT,
            "drift corrected",
        )

        # A rotated password: the new Secret value is sent (its digest differs), proven
        # by logins still working after the old password is gone from LDAP.
        rotated = secrets.token_urlsafe(12)
        ldap.modify(
            f"dn: {binder}\nchangetype: modify\nreplace: userPassword\nuserPassword: {rotated}\n"
        )
        kube.core.patch_namespaced_secret("ldap", ns, {"stringData": {"password": rotated}})
        # A fresh user, so the login searches LDAP with the bind DN (not the cache).
        fresh, fresh_password = unique_name("erin"), secrets.token_urlsafe(12)
        ldap.add_user(fresh, fresh_password)
        provider["userSearchFilter"] = f"(|(uid={uid})(uid={fresh}))"
        patch_federation(kube, ns, {"ldap": [provider]})
        wait_until(
            lambda: can_log_in(endpoint, realm, fresh, fresh_password),
            TIMEOUT,
            "a login through the rotated bind password",
        )

        # Observe: a second KeycloakRealm on the same realm names the differences and
        # writes nothing (no credential listed: no connection test either).
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        watched = {
            k: v for k, v in provider.items() if k not in ("bindDn", "bindCredentialSecretRef")
        }
        watched["trustEmail"] = False
        watched["mappers"] = [
            *provider["mappers"],
            {
                "name": "extra",
                "userAttribute": {"userModelAttribute": "lastName", "ldapAttribute": "sn"},
            },
        ]
        observer = realm_object(
            "observer",
            "kc",
            realm,
            managementPolicy="Observe",
            deletionPolicy="Retain",
            userFederation={"ldap": [watched]},
        )
        kube.create("keycloakrealms", ns, observer)
        wait_until(
            lambda: (
                (kube.condition("keycloakrealms", ns, "observer", "InSync") or {}).get("status")
                == "False"
            ),
            TIMEOUT,
            "the difference in InSync",
        )
        in_sync = str((kube.condition("keycloakrealms", ns, "observer", "InSync") or {})["message"])
        assert "userFederation.ldap[corp]" in in_sync
        assert "userFederation.ldap[corp].mappers[extra] (create)" in in_sync
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes
        assert "extra" not in mappers(admin, realm, corp)
        assert (providers(admin, realm, "ldap")["corp"].config or {})["trustEmail"] == ["true"]
        kube.delete("keycloakrealms", ns, "observer")

        # A provider made by hand is left alone; unlisting ours deletes it.
        realm_id = admin.realms.get(realm).id
        admin.components.create(
            realm,
            ComponentRepresentation(
                name="by-hand",
                provider_id="ldap",
                provider_type=USER_STORAGE,
                parent_id=realm_id,
                config={
                    "connectionUrl": [ldap.url],
                    "usersDn": [ldap.people_dn],
                    "vendor": ["other"],
                    "editMode": ["READ_ONLY"],
                    "usernameLDAPAttribute": ["uid"],
                    "rdnLDAPAttribute": ["uid"],
                    "uuidLDAPAttribute": ["entryUUID"],
                    "userObjectClasses": ["inetOrgPerson"],
                    "authType": ["none"],
                },
            ),
        )
        patch_federation(kube, ns, {"ldap": []})
        wait_until(
            lambda: "corp" not in providers(admin, realm, "ldap"), TIMEOUT, "provider removed"
        )
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "ready")
        assert "by-hand" in providers(admin, realm, "ldap")


def test_kerberos_provider_config_is_read_back(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
    direct_admin: KeycloakAdmin,
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("kerberos"))
    kerberos = {
        "name": "spnego",
        "kerberosRealm": "EXAMPLE.TEST",
        "serverPrincipal": "HTTP/sso.example.test@EXAMPLE.TEST",
        "keyTab": "/etc/keycloak/http.keytab",
        "allowPasswordAuthentication": True,
        "editMode": "UNSYNCED",
        "priority": 5,
    }
    with running_controllers(crds, [ns], resync_period=3.0):
        realm = ready_realm(ns, userFederation={"kerberos": [kerberos]}, timeout=TIMEOUT).realm_name
        config = providers(direct_admin, realm, "kerberos")["spnego"].config or {}
        assert config["kerberosRealm"] == ["EXAMPLE.TEST"]
        assert config["serverPrincipal"] == ["HTTP/sso.example.test@EXAMPLE.TEST"]
        assert config["keyTab"] == ["/etc/keycloak/http.keytab"]
        assert config["allowPasswordAuthentication"] == ["true"]
        assert config["editMode"] == ["UNSYNCED"]
        assert config["priority"] == ["5"]
        kerberos["serverPrincipal"] = "HTTP/login.example.test@EXAMPLE.TEST"
        patch_federation(kube, ns, {"kerberos": [kerberos]})
        wait_until(
            lambda: (
                (providers(direct_admin, realm, "kerberos")["spnego"].config or {}).get(
                    "serverPrincipal"
                )
                == ["HTTP/login.example.test@EXAMPLE.TEST"]
            ),
            TIMEOUT,
            "principal updated",
        )


@pytest.fixture
def kdc(shared_environment: SharedEnvironment) -> Iterator[Kdc]:
    """A test's own Kerberos realm and KDC (it starts in well under a second)."""
    server = Kdc(shared_environment.run_dir / f"kdc-{uuid.uuid4().hex[:8]}")
    try:
        yield server.start()
    finally:
        server.stop()


def claims_of(token: str) -> Any:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_kerberos_user_logs_in_with_spnego(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    kdc: Kdc,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
    direct_admin: KeycloakAdmin,
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("spnego"))
    principal, password = unique_name("frank"), secrets.token_urlsafe(12)
    kdc.add_principal(principal, password)
    kerberos = {
        "name": "spnego",
        "kerberosRealm": kdc.realm,
        "serverPrincipal": kdc.service_principal,
        # A path on the Keycloak server: the test's Keycloak runs on this machine.
        "keyTab": str(kdc.keytab),
    }
    # The service name is HTTP/localhost: the browser side must ask for that host.
    base = keycloak.base_url.replace("127.0.0.1", kdc.host)
    callback = "http://localhost/callback"
    with running_controllers(crds, [ns], resync_period=3.0):
        realm = ready_realm(
            ns,
            userFederation={"kerberos": [kerberos]},
            # A Kerberos user has no name or email: no profile form between it and the code.
            requiredActions=[{"alias": "VERIFY_PROFILE", "enabled": False}],
            timeout=TIMEOUT,
        ).realm_name
        direct_admin.clients.create(
            realm,
            ClientRepresentation(
                client_id="web",
                public_client=True,
                standard_flow_enabled=True,
                redirect_uris=[callback],
            ),
        )
        auth = (
            f"{base}/realms/{realm}/protocol/openid-connect/auth?client_id=web"
            f"&response_type=code&scope=openid&redirect_uri={callback}"
        )
        # Without a ticket, Keycloak asks for one (the provider turned SPNEGO on).
        anonymous = requests.get(auth, allow_redirects=False, timeout=30)
        assert anonymous.status_code == 401
        assert anonymous.headers.get("WWW-Authenticate") == "Negotiate"

        # With a ticket for the service principal, the browser flow ends in a code...
        answer = kdc.spnego_get(principal, password, auth)
        assert answer.status == 302 and answer.location.startswith(callback + "?")
        code = dict(part.split("=", 1) for part in answer.location.split("?", 1)[1].split("&"))[
            "code"
        ]
        # ...that is the Kerberos user's token.
        token = requests.post(
            f"{base}/realms/{realm}/protocol/openid-connect/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": "web",
                "redirect_uri": callback,
            },
            timeout=30,
        )
        token.raise_for_status()
        assert claims_of(token.json()["access_token"])["preferred_username"] == principal
        user = direct_admin.users.find(realm, principal)
        spnego = providers(direct_admin, realm, "kerberos")["spnego"]
        assert user is not None and user.federation_link == spnego.id


BAD_FEDERATION: list[tuple[dict[str, Any], str]] = [
    ({"connectionUrl": "http://ldap.example.test"}, "connectionUrl"),
    ({"bindCredentialSecretRef": None}, "bindDn and bindCredentialSecretRef go together"),
    ({"connectionUrl": "ldaps://ldap:636", "startTls": True}, "startTls is for ldap://"),
    ({"startTls": True}, "startTls needs connectionPooling: false"),
    ({"editMode": "UNSYNCED", "importUsers": False}, "editMode UNSYNCED"),
    ({"syncRegistrations": True}, "syncRegistrations writes new users to LDAP"),
    (
        {
            "mappers": [
                {
                    "name": "username",
                    "userAttribute": {
                        "userModelAttribute": "username",
                        "ldapAttribute": "uid",
                        "readOnly": False,
                    },
                }
            ]
        },
        "needs editMode WRITABLE",
    ),
    (
        {
            "mappers": [
                {
                    "name": "mail",
                    "userAttribute": {"userModelAttribute": "email", "ldapAttribute": "mail"},
                }
            ]
        },
        "list a userAttribute mapper for username",
    ),
    (
        {
            "mappers": [
                {"name": "username", "group": {"groupsDn": "ou=g"}, "role": {"rolesDn": "ou=r"}}
            ]
        },
        "set exactly one of userAttribute, group, role, custom",
    ),
    ({"mappers": [username_mapper(), username_mapper()]}, "Duplicate value"),
]


@pytest.mark.parametrize(("change", "refusal"), BAD_FEDERATION)
def test_admission_refuses_what_keycloak_would(
    crds: ControlPlaneEndpoint,
    unique_name: Callable[[str], str],
    change: dict[str, Any],
    refusal: str,
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("ldap-admission"))
    provider = {
        "name": "corp",
        "connectionUrl": "ldap://ldap.example.test",
        "bindDn": "cn=admin,dc=example,dc=test",
        "bindCredentialSecretRef": {"name": "ldap", "key": "password"},
        "usersDn": "ou=people,dc=example,dc=test",
    }
    provider = {k: v for k, v in {**provider, **change}.items() if v is not None}
    body = realm_object("realm", "kc", "r", userFederation={"ldap": [provider]})
    with pytest.raises(ApiException) as refused:
        kube.create("keycloakrealms", ns, body)
    assert refused.value.status == 422
    assert refusal in str(refused.value.body)


def test_admission_refuses_one_name_for_ldap_and_kerberos(
    crds: ControlPlaneEndpoint, unique_name: Callable[[str], str]
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("fed-admission"))
    federation = {
        "ldap": [{"name": "corp", "connectionUrl": "ldap://x", "usersDn": "ou=p"}],
        "kerberos": [
            {
                "name": "corp",
                "kerberosRealm": "EXAMPLE.TEST",
                "serverPrincipal": "HTTP/x@EXAMPLE.TEST",
                "keyTab": "/etc/krb5.keytab",
            }
        ],
    }
    with pytest.raises(ApiException) as refused:
        kube.create(
            "keycloakrealms", ns, realm_object("realm", "kc", "r", userFederation=federation)
        )
    assert refused.value.status == 422
    assert "cannot share a name" in str(refused.value.body)
