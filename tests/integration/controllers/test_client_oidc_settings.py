"""The typed OIDC settings of KeycloakClient, proven by Keycloak's behaviour, and their
lifecycle with drift on every version.

Behaviour (canonical version):
- signed-JWT client authentication: a client-credentials token for a JWT signed
  with the key whose certificate the spec names (from a Secret); refused for a JWT
  signed by another key; the per-client access-token lifespan is in the token;
- a direct-grant flow override by alias: the password grant runs the named flow
  (one that denies), and stops when the override is removed; an unknown alias is
  Ready=False naming it;
- service-account groups: the group's role is in the client-credentials token,
  gone when the group is unlisted; a group (or a direct role) giving
  realm-management impersonation is refused without allowAdminRoles;
- script mappers are refused without the realm's allowScriptMappers.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import (
    AuthenticationFlowRepresentation,
    ClientRepresentation,
    CredentialRepresentation,
    UserRepresentation,
)
from tests.support import saml
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    client_object,
    keycloak_requests,
    running_controllers,
    wait_idle,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint

TIMEOUT = 90.0
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
PASSWORD = "a-long-test-password"  # a throw-away test user


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def client_assertion(keys: saml.KeyPair, client_id: str, audience: str) -> str:
    """An RS256 JWT identifying `client_id`, signed with `keys`."""
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT"}
    body = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 60,
    }
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(body).encode())}"
    return f"{signing_input}.{b64url(keys.sign(signing_input.encode()))}"


def token_endpoint(endpoint: KeycloakEndpoint, realm: str) -> str:
    return f"{endpoint.base_url}/realms/{realm}/protocol/openid-connect/token"


def find(admin: KeycloakAdmin, realm: str, client_id: str) -> ClientRepresentation:
    client = admin.clients.find(realm, client_id)
    assert client is not None
    return client


def message(kube: Kube, ns: str, name: str) -> str:
    return str((kube.condition("keycloakclients", ns, name) or {}).get("message", ""))


def test_signed_jwt_client_authentication(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("jwt"))
    keys = saml.key_pair("svc.acme.test")
    kube.secret(ns, "svc-cert", {"tls.crt": keys.certificate_pem})
    with running_controllers(crds, [ns]):
        realm = ready_realm(ns).realm_name
        spec = {
            "flows": {"serviceAccounts": True, "standard": False},
            "clientAuthentication": {
                "method": "SignedJwt",
                "certificateSecretRef": {"name": "svc-cert", "key": "tls.crt"},
                "signingAlgorithm": "RS256",
            },
            "tokens": {"accessTokenLifespan": 123},
        }
        kube.create("keycloakclients", ns, client_object("svc", "realm", "svc", **spec))
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "svc"), TIMEOUT, "client Ready")
        client = find(direct_admin, realm, "svc")
        assert client.client_authenticator_type == "client-jwt"
        assert (client.attributes or {})["jwt.credential.certificate"] == keys.certificate_body
        assert (client.attributes or {})["use.jwks.url"] == "false"
        # No client secret is handed out for a client that does not use one.
        secret = kube.secret_data(ns, "svc-credentials") or {}
        assert "client-secret" not in secret

        url = token_endpoint(keycloak, realm)
        good = requests.post(
            url,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": JWT_BEARER,
                "client_assertion": client_assertion(keys, "svc", url),
            },
            timeout=30,
        )
        assert good.status_code == 200, good.text
        token = claims(good.json()["access_token"])
        assert token["azp"] == "svc"
        assert token["exp"] - token["iat"] == 123

        intruder = saml.key_pair("intruder.acme.test")
        bad = requests.post(
            url,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": JWT_BEARER,
                "client_assertion": client_assertion(intruder, "svc", url),
            },
            timeout=30,
        )
        assert bad.status_code in (400, 401), bad.text
        assert "access_token" not in bad.json()

        # A new certificate in the Secret (the controller watches it; no resync here):
        # the new key is accepted, the old one no longer.
        rotated = saml.key_pair("svc2.acme.test")
        kube.core.patch_namespaced_secret(
            "svc-cert", ns, {"stringData": {"tls.crt": rotated.certificate_pem}}
        )

        def accepted(keys: saml.KeyPair) -> bool:
            answer = requests.post(
                url,
                data={
                    "grant_type": "client_credentials",
                    "client_assertion_type": JWT_BEARER,
                    "client_assertion": client_assertion(keys, "svc", url),
                },
                timeout=30,
            )
            return answer.status_code == 200

        wait_until(lambda: accepted(rotated), TIMEOUT, "the rotated certificate accepted")
        assert not accepted(keys)


def make_user(admin: KeycloakAdmin, realm: str, username: str) -> None:
    admin.users.create(
        realm,
        UserRepresentation(
            username=username,
            enabled=True,
            email=f"{username}@acme.test",
            email_verified=True,
            first_name="Ada",
            last_name="Lovelace",
            credentials=[
                CredentialRepresentation(type="password", value=PASSWORD, temporary=False)
            ],
        ),
    )


def deny_flow(admin: KeycloakAdmin, realm: str, alias: str) -> str:
    """A top-level flow whose only step denies access."""
    flow_id = admin.authentication.create_flow(
        realm,
        AuthenticationFlowRepresentation(
            alias=alias, provider_id="basic-flow", top_level=True, built_in=False
        ),
    )
    admin.authentication.add_execution(realm, alias, "deny-access-authenticator")
    (step,) = admin.authentication.executions(realm, alias)
    admin.authentication.update_execution(
        realm, alias, step.model_copy(update={"requirement": "REQUIRED"})
    )
    return flow_id


def test_direct_grant_flow_override_by_alias(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("override"))
    with running_controllers(crds, [ns]):
        realm = ready_realm(ns).realm_name
        make_user(direct_admin, realm, "ada")
        spec: dict[str, Any] = {
            "flows": {"directAccessGrants": True},
            "authenticationFlowOverrides": {"directGrant": "deny-all"},
        }
        kube.create("keycloakclients", ns, client_object("app", "realm", "app", **spec))
        # The flow does not exist yet: a condition naming the field and the alias.
        wait_until(
            lambda: "deny-all" in message(kube, ns, "app"), TIMEOUT, "the unknown alias named"
        )
        assert kube.reason("keycloakclients", ns, "app") == "InvalidSpec"
        assert "spec.authenticationFlowOverrides.directGrant" in message(kube, ns, "app")
        flow_id = deny_flow(direct_admin, realm, "deny-all")
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "app"), TIMEOUT, "client Ready")
        overrides = find(direct_admin, realm, "app").authentication_flow_binding_overrides
        assert overrides == {"direct_grant": flow_id}

        secret = kube.secret_data(ns, "app-credentials") or {}

        def password_grant() -> requests.Response:
            return requests.post(
                token_endpoint(keycloak, realm),
                data={
                    "grant_type": "password",
                    "client_id": "app",
                    "client_secret": secret["client-secret"],
                    "username": "ada",
                    "password": PASSWORD,
                },
                timeout=30,
            )

        assert password_grant().status_code == 401
        # Unlisted: the override is removed (authoritative) and the realm's flow applies.
        kube.patch(
            "keycloakclients",
            ns,
            "app",
            {"spec": {"authenticationFlowOverrides": {"directGrant": None}}},
        )
        wait_until(
            lambda: not find(direct_admin, realm, "app").authentication_flow_binding_overrides,
            TIMEOUT,
            "the override removed",
        )
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "app"), TIMEOUT, "client Ready")
        granted = password_grant()
        assert granted.status_code == 200, granted.text


def test_service_account_groups_and_admin_gates(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("sagroups"))
    with running_controllers(crds, [ns]):
        realm = ready_realm(
            ns,
            roles=[
                {"name": "billing-reader"},
                # An innocent-looking composite that includes an admin role.
                {
                    "name": "ops",
                    "composites": {"clientRoles": {"realm-management": ["view-users"]}},
                },
                {"name": "team", "composites": {"realmRoles": ["ops"]}},
            ],
            groups=[
                {"path": "/services", "realmRoles": ["billing-reader"]},
                {"path": "/services/billing"},
                {"path": "/powerful", "clientRoles": {"realm-management": ["impersonation"]}},
                {"path": "/teams", "realmRoles": ["team"]},
            ],
        ).realm_name
        spec: dict[str, Any] = {
            "flows": {"serviceAccounts": True, "standard": False},
            "serviceAccount": {"groups": ["/services/billing"]},
        }
        kube.create("keycloakclients", ns, client_object("svc", "realm", "svc", **spec))
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "svc"), TIMEOUT, "client Ready")
        secret = kube.secret_data(ns, "svc-credentials") or {}

        def roles() -> set[str]:
            answer = requests.post(
                token_endpoint(keycloak, realm),
                data={"grant_type": "client_credentials"},
                auth=("svc", secret["client-secret"]),
                timeout=30,
            )
            answer.raise_for_status()
            return set(claims(answer.json()["access_token"]).get("realm_access", {})["roles"])

        # The subgroup's member gets the parent group's role.
        assert "billing-reader" in roles()

        # Joining a group that holds realm-management impersonation is an admin role.
        kube.patch(
            "keycloakclients",
            ns,
            "svc",
            {"spec": {"serviceAccount": {"groups": ["/services/billing", "/powerful"]}}},
        )
        wait_until(
            lambda: kube.reason("keycloakclients", ns, "svc") == "NotGranted",
            TIMEOUT,
            "the admin group refused",
        )
        assert "impersonation (via group /powerful)" in message(kube, ns, "svc")
        assert "allowAdminRoles: true" in message(kube, ns, "svc")
        user = direct_admin.clients.service_account_user_id(
            realm, find(direct_admin, realm, "svc").id or ""
        )
        assert "/powerful" not in {g.path for g in direct_admin.users.groups(realm, user)}

        # So is asking for impersonation directly.
        kube.patch(
            "keycloakclients",
            ns,
            "svc",
            {
                "spec": {
                    "serviceAccount": {
                        "groups": ["/services/billing"],
                        "clientRoles": {"realm-management": ["impersonation"]},
                    }
                }
            },
        )
        wait_until(
            lambda: "realm-management role impersonation" in message(kube, ns, "svc"),
            TIMEOUT,
            "the impersonation role refused",
        )

        # And an admin role reached through composites, asked for as a role or a group.
        for asked, expected in (
            (
                {"groups": ["/services/billing"], "realmRoles": ["team"], "clientRoles": None},
                "(realm-management role view-users); ",
            ),
            (
                {"groups": ["/services/billing", "/teams"], "realmRoles": None},
                "(realm-management role view-users (via group /teams))",
            ),
        ):
            kube.patch("keycloakclients", ns, "svc", {"spec": {"serviceAccount": asked}})
            wait_until(
                lambda expected=expected: expected in message(kube, ns, "svc"),
                TIMEOUT,
                f"the composite admin role refused for {asked}",
            )
            assert kube.reason("keycloakclients", ns, "svc") == "NotGranted"
        mapped = {r.name for r in direct_admin.user_role_mappings.list(realm, user)}
        assert "team" not in mapped

        # Authoritative: unlisted groups are left, and the role goes with them.
        kube.patch(
            "keycloakclients",
            ns,
            "svc",
            {"spec": {"serviceAccount": {"groups": [], "clientRoles": None}}},
        )
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "svc"), TIMEOUT, "client Ready")
        assert not direct_admin.users.groups(realm, user)
        assert "billing-reader" not in roles()


def test_script_mappers_need_the_realm_grant(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("scripts"))
    with running_controllers(crds, [ns]):
        realm = ready_realm(ns).realm_name
        mapper = {
            "name": "computed",
            "protocolMapper": "oidc-script-based-protocol-mapper",
            "config": {"script": "'x'", "claim.name": "computed"},
        }
        kube.create(
            "keycloakclients",
            ns,
            client_object("app", "realm", "app", protocolMappers=[mapper]),
        )
        wait_until(
            lambda: kube.reason("keycloakclients", ns, "app") == "NotGranted",
            TIMEOUT,
            "the script mapper refused",
        )
        text = message(kube, ns, "app")
        assert "script protocol mappers are asked for (computed)" in text
        assert "allowScriptMappers: true" in text
        # Nothing was written: not even the client.
        assert direct_admin.clients.find(realm, "app") is None

        # The realm's owner allows it: the gate opens (Keycloak itself then decides;
        # the shared test Keycloak has the scripts feature off, so it refuses the type).
        kube.patch(
            "keycloakrealms",
            ns,
            "realm",
            {
                "spec": {
                    "clientAuthorizationGrants": [{"namespaces": [ns], "allowScriptMappers": True}]
                }
            },
        )
        wait_until(
            lambda: kube.reason("keycloakclients", ns, "app") not in (None, "NotGranted"),
            TIMEOUT,
            "the gate opened",
        )
        assert direct_admin.clients.find(realm, "app") is not None


WEB: dict[str, Any] = {
    "flows": {"standard": True, "deviceAuthorization": True, "ciba": True},
    "redirectUris": ["https://web.acme.test/cb"],
    "clientAuthentication": {"method": "ClientSecretJwt", "signingAlgorithm": "HS256"},
    "logout": {
        "frontChannel": False,
        "backChannelUrl": "https://web.acme.test/logout",
        "backChannelSessionRequired": True,
        "backChannelRevokeOfflineSessions": True,
    },
    "tokens": {
        "accessTokenLifespan": 300,
        "clientSessionIdleTimeout": 600,
        "clientSessionMaxLifespan": 3600,
        "clientOfflineSessionIdleTimeout": 700,
        "clientOfflineSessionMaxLifespan": 7200,
        "accessTokenSignatureAlgorithm": "RS256",
        "idTokenSignatureAlgorithm": "RS256",
    },
    "consentRequired": True,
    "consent": {"displayClientOnScreen": True, "screenText": "Acme web"},
    "alwaysDisplayInConsole": True,
    "fullScopeAllowed": False,
}
WEB_ATTRIBUTES = {
    "token.endpoint.auth.signing.alg": "HS256",
    "oauth2.device.authorization.grant.enabled": "true",
    "oidc.ciba.grant.enabled": "true",
    "backchannel.logout.url": "https://web.acme.test/logout",
    "backchannel.logout.session.required": "true",
    "backchannel.logout.revoke.offline.tokens": "true",
    "access.token.lifespan": "300",
    "client.session.idle.timeout": "600",
    "client.session.max.lifespan": "3600",
    "client.offline.session.idle.timeout": "700",
    "client.offline.session.max.lifespan": "7200",
    "access.token.signed.response.alg": "RS256",
    "id.token.signed.response.alg": "RS256",
    "display.on.consent.screen": "true",
    "consent.screen.text": "Acme web",
}


def test_oidc_settings_and_bearer_only_lifecycle_on_every_version(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    make_admin: Callable[[KeycloakEndpoint], KeycloakAdmin],
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    endpoint = keycloak_any_version
    admin = make_admin(endpoint)
    kube = Kube(crds)
    ns = kube.namespace(unique_name("oidcset"))
    with running_controllers(crds, [ns], resync_period=3.0) as manager:
        realm = ready_realm(ns, endpoint=endpoint, timeout=TIMEOUT).realm_name
        kube.create("keycloakclients", ns, client_object("web", "realm", "web", **WEB))
        mtls = {
            "flows": {"serviceAccounts": True, "standard": False},
            "clientAuthentication": {"method": "X509", "subjectDn": "CN=svc,O=Acme"},
        }
        kube.create("keycloakclients", ns, client_object("mtls", "realm", "mtls", **mtls))
        kube.create(
            "keycloakclients", ns, client_object("api", "realm", "api", accessType="BearerOnly")
        )
        for name in ("web", "mtls", "api"):
            wait_until(lambda n=name: kube.is_ready("keycloakclients", ns, n), TIMEOUT, name)

        # The second pass of an in-sync client writes nothing to Keycloak.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        kube.patch("keycloakclients", ns, "web", {"metadata": {"annotations": {"poke": "1"}}})
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes
        web = find(admin, realm, "web")
        assert web.client_authenticator_type == "client-secret-jwt"
        assert web.frontchannel_logout is False
        assert web.consent_required is True
        assert web.always_display_in_console is True
        assert web.full_scope_allowed is False
        stored = web.attributes or {}
        assert {k: stored.get(k) for k in WEB_ATTRIBUTES} == WEB_ATTRIBUTES
        # ClientSecretJwt signs with the secret: the Secret hands it out.
        assert "client-secret" in (kube.secret_data(ns, "web-credentials") or {})
        mtls_client = find(admin, realm, "mtls")
        assert mtls_client.client_authenticator_type == "client-x509"
        assert (mtls_client.attributes or {})["x509.subjectdn"] == "CN=svc,O=Acme"
        assert "client-secret" not in (kube.secret_data(ns, "mtls-credentials") or {})
        api = find(admin, realm, "api")
        assert api.bearer_only is True and api.standard_flow_enabled is False

        # A change.
        kube.patch(
            "keycloakclients",
            ns,
            "web",
            {
                "spec": {
                    "tokens": {"accessTokenLifespan": 301},
                    "logout": {
                        "frontChannel": True,
                        "frontChannelUrl": "https://web.acme.test/fc-logout",
                    },
                }
            },
        )
        wait_until(
            lambda: (
                (find(admin, realm, "web").attributes or {}).get("access.token.lifespan") == "301"
            ),
            TIMEOUT,
            "the new lifespan",
        )
        web = find(admin, realm, "web")
        assert web.frontchannel_logout is True
        assert (web.attributes or {})[
            "frontchannel.logout.url"
        ] == "https://web.acme.test/fc-logout"

        # Drift by hand, reverted: an attribute, a top-level flag, bearer-only.
        web.attributes = {**(web.attributes or {}), "access.token.lifespan": "999"}
        web.full_scope_allowed = True
        admin.clients.update(realm, web.id or "", web)
        api = find(admin, realm, "api")
        api.bearer_only = False
        admin.clients.update(realm, api.id or "", api)
        wait_until(
            lambda: (
                (find(admin, realm, "web").attributes or {}).get("access.token.lifespan") == "301"
                and find(admin, realm, "web").full_scope_allowed is False
                and find(admin, realm, "api").bearer_only is True
            ),
            TIMEOUT,
            "the drift reverted",
        )

        # Bearer-only unset (back to the default, Confidential): a normal client again.
        kube.patch("keycloakclients", ns, "api", {"spec": {"accessType": None}})
        wait_until(
            lambda: find(admin, realm, "api").bearer_only is False, TIMEOUT, "bearer-only off"
        )
        wait_until(lambda: kube.is_ready("keycloakclients", ns, "api"), TIMEOUT, "api Ready")
        api = find(admin, realm, "api")
        assert api.standard_flow_enabled is True
        assert "client-secret" in (kube.secret_data(ns, "api-credentials") or {})

        for name in ("web", "mtls", "api"):
            kube.delete("keycloakclients", ns, name)
        for name in ("web", "mtls", "api"):
            wait_until(lambda n=name: kube.get("keycloakclients", ns, n) is None, TIMEOUT, name)
            assert admin.clients.find(realm, name) is None
