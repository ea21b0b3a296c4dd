"""A realm's identity providers and their mappers.

- Behaviour (canonical version): realm A brokers logins to realm B of the same
  Keycloak through a keycloak-oidc provider whose client secret comes from a
  Kubernetes Secret. A scripted browser (requests following redirects, posting B's
  real login form) ends at A's redirect URI with a code; A's token carries the
  realm roles the provider's claim-to-role and hardcoded-role mappers grant. After
  B's client secret changes the login fails until the Kubernetes Secret changes too,
  then works again: the rotated value reached Keycloak.
- Every provider type (oidc, keycloak-oidc, saml, google, github, microsoft) is
  accepted by the canonical Keycloak.
- Lifecycle and drift on every version: created tagged, hideOnLogin as each version
  stores it, the second pass writes nothing, drift reverted, mappers authoritative,
  an owned provider no longer listed deleted while one made elsewhere stays, a
  missing broker login flow named in the condition.
- Organizations' linked identity providers (26 and 25's preview; IncompatibleVersion
  on 24).
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import secrets
from collections.abc import Callable
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from keycloak_controller.controllers.realm_identity_providers import DIGEST_PREFIX, IDP_OWNER
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.errors import NotFound
from keycloak_controller.keycloak.models import (
    ClientRepresentation,
    CredentialRepresentation,
    IdentityProviderMapperRepresentation,
    IdentityProviderRepresentation,
    RealmRepresentation,
    UserRepresentation,
)
from tests.support.controller_harness import (
    Kube,
    ReadyRealm,
    keycloak_requests,
    realm_object,
    running_controllers,
    wait_idle,
    wait_until,
)
from tests.support.controlplane import ControlPlaneEndpoint
from tests.support.keycloak_server import KeycloakEndpoint

TIMEOUT = 90.0
# Never reached: the scripted browser stops at the redirect that carries the code.
APP_REDIRECT = "http://127.0.0.1:9/callback"
FORM_ACTION = re.compile(r'<form[^>]*\bid="kc-form-login"[^>]*\baction="([^"]+)"', re.S)
FORM_ACTION_ANY = re.compile(r'<form[^>]*\baction="([^"]+)"', re.S)
TITLE = re.compile(r"<title>(.*?)</title>", re.S)
LATE = {"name": "late", "key": "secret"}


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert isinstance(decoded, dict)
    return decoded


def plain_http_cookies(session: requests.Session) -> None:
    """Keycloak marks its login cookies Secure (SameSite=None needs it), and browsers
    treat http://127.0.0.1 as a secure context; the stdlib cookie jar does not, so
    the flag is cleared for the test's plain-HTTP Keycloak."""
    for cookie in session.cookies:
        cookie.secure = False


def follow(session: requests.Session, response: requests.Response) -> requests.Response | str:
    """Follow redirects by hand until a page, or the app's redirect URI (returned)."""
    for _ in range(20):
        plain_http_cookies(session)
        if response.status_code not in (301, 302, 303, 307):
            return response
        location = urljoin(response.url, response.headers["Location"])
        if location.startswith(APP_REDIRECT):
            return location
        response = session.get(location, allow_redirects=False, timeout=30)
    raise AssertionError("too many redirects")


def brokered_login(
    base_url: str, realm: str, alias: str, username: str, password: str
) -> dict[str, Any] | None:
    """Log in to `realm`'s client `app` through its provider `alias`, as a browser would:
    the token's claims, or None when the login does not end at the app with a code."""
    session = requests.Session()
    start = session.get(
        f"{base_url}/realms/{realm}/protocol/openid-connect/auth",
        params={
            "client_id": "app",
            "redirect_uri": APP_REDIRECT,
            "response_type": "code",
            "scope": "openid",
            "state": secrets.token_hex(8),
            "nonce": secrets.token_hex(8),
            "kc_idp_hint": alias,
        },
        allow_redirects=False,
        timeout=30,
    )
    page = follow(session, start)
    assert not isinstance(page, str), "logged in without a login form"
    found = FORM_ACTION.search(page.text)
    assert found, f"no login form on {page.url}: {TITLE.search(page.text)}"
    plain_http_cookies(session)
    posted = session.post(
        unescape(found.group(1)),
        data={"username": username, "password": password, "credentialId": ""},
        allow_redirects=False,
        timeout=30,
    )
    landed = follow(session, posted)
    if not isinstance(landed, str):
        return None  # an error page (e.g. the broker's token exchange failed)
    code = parse_qs(urlsplit(landed).query).get("code")
    if not code:
        return None
    token = requests.post(
        f"{base_url}/realms/{realm}/protocol/openid-connect/token",
        data={
            "grant_type": "authorization_code",
            "client_id": "app",
            "code": code[0],
            "redirect_uri": APP_REDIRECT,
        },
        timeout=30,
    )
    token.raise_for_status()
    return claims(token.json()["access_token"])


def provider_realm(admin: KeycloakAdmin, name: str, broker_redirect: str, secret: str) -> None:
    """Realm B: a confidential client for A's broker and the user alice."""
    admin.realms.create(RealmRepresentation(realm=name, enabled=True))
    admin.clients.create(
        name,
        ClientRepresentation(
            client_id="federation",
            enabled=True,
            public_client=False,
            secret=secret,
            standard_flow_enabled=True,
            redirect_uris=[broker_redirect],
        ),
    )
    user = admin.users.create(
        name,
        UserRepresentation(
            username="alice",
            enabled=True,
            email="alice@b.example",
            email_verified=True,
            first_name="Alice",
            last_name="Broker",
        ),
    )
    admin.users.set_password(
        name, user, CredentialRepresentation(type="password", value="alice-pw", temporary=False)
    )


def set_client_secret(admin: KeycloakAdmin, realm: str, client_id: str, secret: str) -> None:
    client = admin.clients.find(realm, client_id)
    assert client is not None and client.id
    client.secret = secret
    admin.clients.update(realm, client.id, client)


def test_brokered_login_through_a_keycloak_oidc_provider(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("broker"))
    realm_a, realm_b = unique_name("realm-a"), unique_name("realm-b")
    base = keycloak.base_url
    alias = "realm-b"
    first_secret = secrets.token_urlsafe(24)
    provider_realm(
        direct_admin, realm_b, f"{base}/realms/{realm_a}/broker/{alias}/endpoint", first_secret
    )
    kube.secret(ns, "broker", {"client-secret": first_secret})
    issuer = f"{base}/realms/{realm_b}"
    oidc_endpoints = f"{issuer}/protocol/openid-connect"
    provider = {
        "alias": alias,
        "providerId": "keycloak-oidc",
        "displayName": "Realm B",
        "trustEmail": True,
        "syncMode": "FORCE",
        # A flow the flows section creates in the same reconcile, before this section.
        "firstBrokerLoginFlowAlias": "partner first login",
        "oidc": {
            "authorizationUrl": f"{oidc_endpoints}/auth",
            "tokenUrl": f"{oidc_endpoints}/token",
            "userInfoUrl": f"{oidc_endpoints}/userinfo",
            "jwksUrl": f"{oidc_endpoints}/certs",
            "logoutUrl": f"{oidc_endpoints}/logout",
            "issuer": issuer,
            "clientId": "federation",
            "clientSecretRef": {"name": "broker", "key": "client-secret"},
            "clientAuthMethod": "client_secret_post",
            "defaultScopes": "openid profile email",
            "validateSignature": True,
            "useJwksUrl": True,
            "pkceEnabled": True,
            "pkceMethod": "S256",
        },
        "mappers": [
            {
                "name": "alice-is-partner",
                "claimToRole": {
                    "claim": "preferred_username",
                    "claimValue": "alice",
                    "role": "partner",
                },
            },
            {"name": "everyone-brokered", "hardcodedRole": {"role": "brokered"}},
        ],
    }
    try:
        with running_controllers(crds, [ns], resync_period=3.0):
            ready_realm(
                ns,
                realm_name=realm_a,
                roles=[{"name": "partner"}, {"name": "brokered"}],
                authenticationFlows=[
                    {"alias": "partner first login", "copyOf": "first broker login"}
                ],
                identityProviders=[provider],
                timeout=TIMEOUT,
            )
            direct_admin.clients.create(
                realm_a,
                ClientRepresentation(
                    client_id="app",
                    enabled=True,
                    public_client=True,
                    standard_flow_enabled=True,
                    redirect_uris=[APP_REDIRECT],
                ),
            )
            stored = direct_admin.identity_providers.get(realm_a, alias)
            config = stored.config or {}
            assert config.get("clientSecret") == "**********"
            assert config.get(DIGEST_PREFIX + "clientSecret")
            assert config.get(IDP_OWNER) == f"KeycloakRealm/{ns}/realm"
            assert stored.first_broker_login_flow_alias == "partner first login"

            token = brokered_login(base, realm_a, alias, "alice", "alice-pw")
            assert token is not None, "the brokered login failed"
            assert token["iss"] == f"{base}/realms/{realm_a}"
            assert token.get("preferred_username") == "alice"
            roles = token.get("realm_access", {}).get("roles", [])
            assert "partner" in roles and "brokered" in roles
            # A wrong password on B's form does not get through.
            assert brokered_login(base, realm_a, alias, "alice", "wrong") is None

            # B's client secret rotates: the broker can no longer redeem B's codes...
            second_secret = secrets.token_urlsafe(24)
            set_client_secret(direct_admin, realm_b, "federation", second_secret)
            assert brokered_login(base, realm_a, alias, "alice", "alice-pw") is None
            # ...until the Kubernetes Secret carries the new value, which reaches Keycloak.
            kube.core.patch_namespaced_secret(
                "broker",
                ns,
                {"data": {"client-secret": base64.b64encode(second_secret.encode()).decode()}},
            )
            wait_until(
                lambda: brokered_login(base, realm_a, alias, "alice", "alice-pw") is not None,
                TIMEOUT,
                "the brokered login works with the rotated secret",
            )
            # Neither value is anywhere in the resource or its Events.
            realm_cr = json.dumps(kube.get("keycloakrealms", ns, "realm"))
            events = kube.core.list_namespaced_event(ns).items
            seen = realm_cr + "".join(str(e.message) for e in events)
            assert first_secret not in seen and second_secret not in seen
    finally:
        for name in (realm_a, realm_b):
            with contextlib.suppress(NotFound):
                direct_admin.realms.delete(name)


def test_every_provider_type_is_accepted(
    crds: ControlPlaneEndpoint,
    keycloak: KeycloakEndpoint,
    direct_admin: KeycloakAdmin,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    kube = Kube(crds)
    ns = kube.namespace(unique_name("idp-types"))
    kube.secret(ns, "social", {"secret": "s3cr3t-value"})
    ref = {"name": "social", "key": "secret"}
    oidc = {
        "authorizationUrl": "https://idp.example/auth",
        "tokenUrl": "https://idp.example/token",
        "clientId": "kc",
        "clientSecretRef": ref,
    }
    providers = [
        {"alias": "oidc", "providerId": "oidc", "oidc": oidc},
        {"alias": "kc-oidc", "providerId": "keycloak-oidc", "oidc": oidc},
        {
            "alias": "saml",
            "providerId": "saml",
            "saml": {
                "singleSignOnServiceUrl": "https://idp.example/saml",
                "entityId": "https://sp.example",
                "nameIdPolicyFormat": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
                "principalType": "SUBJECT",
                "wantAuthnRequestsSigned": True,
            },
            "mappers": [
                {
                    "name": "email",
                    "attributeImporter": {"source": "mail", "userAttribute": "email"},
                }
            ],
        },
        *(
            {
                "alias": kind,
                "providerId": kind,
                "social": {"clientId": f"{kind}-id", "clientSecretRef": ref},
                "mappers": [
                    {
                        "name": "login",
                        "attributeImporter": {"source": "login", "userAttribute": "nick"},
                    }
                ],
            }
            for kind in ("google", "github", "microsoft")
        ),
    ]
    with running_controllers(crds, [ns], resync_period=3.0) as manager:
        realm = ready_realm(ns, identityProviders=providers, timeout=TIMEOUT).realm_name
        stored = {p.alias: p for p in direct_admin.identity_providers.list(realm)}
        assert {a: stored[a].provider_id for a in stored} == {
            "oidc": "oidc",
            "kc-oidc": "keycloak-oidc",
            "saml": "saml",
            "google": "google",
            "github": "github",
            "microsoft": "microsoft",
        }
        saml_config = stored["saml"].config or {}
        assert saml_config["singleSignOnServiceUrl"] == "https://idp.example/saml"
        assert saml_config["wantAuthnRequestsSigned"] == "true"
        for kind in ("oidc", "google", "github", "microsoft"):
            assert (stored[kind].config or {}).get("clientSecret") == "**********"
        saml_mappers = direct_admin.identity_providers.mappers(realm, "saml")
        assert [
            (m.identity_provider_mapper, (m.config or {}).get("attribute.name"))
            for m in saml_mappers
        ] == [("saml-user-attribute-idp-mapper", "mail")]
        github = direct_admin.identity_providers.mappers(realm, "github")
        assert [
            (m.identity_provider_mapper, (m.config or {}).get("jsonField")) for m in github
        ] == [("github-user-attribute-mapper", "login")]

        # Observe names a differing provider and writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        changed = {**providers[2], "displayName": "Observed only"}
        observer = realm_object(
            "watcher", "kc", realm, managementPolicy="Observe", identityProviders=[changed]
        )
        kube.create("keycloakrealms", ns, observer)
        wait_until(
            lambda: (
                (kube.condition("keycloakrealms", ns, "watcher", "InSync") or {}).get("status")
                == "False"
            ),
            TIMEOUT,
            "Observe reports the drift",
        )
        message = kube.condition("keycloakrealms", ns, "watcher", "InSync")["message"]
        assert "identityProviders[saml]" in message
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes
        assert direct_admin.identity_providers.get(realm, "saml").display_name is None
        kube.delete("keycloakrealms", ns, "watcher")

        # A Secret that does not exist yet is named with the field; once made, it applies.
        late = {**providers[0], "alias": "late", "oidc": {**oidc, "clientSecretRef": LATE}}
        kube.patch("keycloakrealms", ns, "realm", {"spec": {"identityProviders": [late]}})

        def named() -> bool:
            cond = kube.condition("keycloakrealms", ns, "realm") or {}
            return f"spec.identityProviders[late] clientSecret: Secret {ns}/late" in (
                cond.get("message") or ""
            )

        wait_until(named, TIMEOUT, "the missing Secret named")
        assert kube.reason("keycloakrealms", ns, "realm") == "SecretNotFound"
        assert {p.alias for p in direct_admin.identity_providers.list(realm)} == {
            a for a in stored if a != "late"
        }  # nothing else was touched
        kube.secret(ns, "late", {"secret": "made-later"})
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "ready")
        assert {p.alias for p in direct_admin.identity_providers.list(realm)} == {"late"}


def login_page(base_url: str, realm: str) -> str:
    """The realm's login page, as the built-in account console client starts it."""
    session = requests.Session()
    page = session.get(
        f"{base_url}/realms/{realm}/protocol/openid-connect/auth",
        params={
            "client_id": "account-console",
            "redirect_uri": f"{base_url}/realms/{realm}/account/",
            "response_type": "code",
            "scope": "openid",
            # Never redeemed; only its shape matters (43+ characters).
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeKt8URWbuGJSstw-cMk",
            "code_challenge_method": "S256",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert page.status_code == 200, f"no login page: {page.status_code}"
    return page.text


def mappers_of(admin: KeycloakAdmin, realm: str, alias: str) -> dict[str, Any]:
    return {m.name: m for m in admin.identity_providers.mappers(realm, alias)}


def test_identity_providers_lifecycle_on_every_version(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    endpoint = keycloak_any_version
    kube = Kube(crds)
    ns = kube.namespace(unique_name("idps"))
    kube.secret(ns, "idp", {"secret": "first-value"})

    def partner(**extra: Any) -> dict[str, Any]:
        return {
            "alias": "partner",
            "providerId": "oidc",
            "displayName": "Partner",
            "hideOnLogin": True,
            "trustEmail": True,
            "syncMode": "IMPORT",
            "oidc": {
                "authorizationUrl": "https://partner.example/auth",
                "tokenUrl": "https://partner.example/token",
                "clientId": "our-realm",
                "clientSecretRef": {"name": "idp", "key": "secret"},
                "pkceEnabled": True,
                "pkceMethod": "plain",
            },
            "config": {"guiOrder": "3"},
            "mappers": [
                {"name": "role", "hardcodedRole": {"role": "offline_access"}},
                {
                    "name": "dept",
                    "syncMode": "FORCE",
                    "attributeImporter": {"source": "dept", "userAttribute": "department"},
                },
            ],
            **extra,
        }

    with (
        KeycloakAdmin.with_password(
            endpoint.base_url, endpoint.admin_username, endpoint.admin_password
        ) as admin,
        running_controllers(crds, [ns], resync_period=3.0) as manager,
    ):
        spare = {
            "alias": "spare",
            "providerId": "github",
            "social": {"clientId": "gh"},
        }
        try:
            made = ready_realm(
                ns, endpoint=endpoint, identityProviders=[partner(), spare], timeout=TIMEOUT
            )
        except AssertionError:
            raise AssertionError(kube.condition("keycloakrealms", ns, "realm")) from None
        realm = made.realm_name
        owner = f"KeycloakRealm/{ns}/realm"
        have = admin.identity_providers.get(realm, "partner")
        config = have.config or {}
        # hideOnLogin is a field from 26, the config key hideOnLoginPage before (read back
        # through the adapter either way).
        assert have.hide_on_login is True and have.trust_email is True
        assert have.display_name == "Partner"
        assert config["syncMode"] == "IMPORT" and config["guiOrder"] == "3"
        assert config["pkceEnabled"] == "true" and config[IDP_OWNER] == owner
        assert config["clientSecret"] == "**********" and config[DIGEST_PREFIX + "clientSecret"]
        # Behaviour: the login page offers the visible provider only, on every version.
        page = login_page(endpoint.base_url, realm)
        assert 'id="social-spare"' in page and 'id="social-partner"' not in page
        mappers = mappers_of(admin, realm, "partner")
        assert mappers["role"].identity_provider_mapper == "oidc-hardcoded-role-idp-mapper"
        assert mappers["dept"].config == {
            "claim": "dept",
            "user.attribute": "department",
            "syncMode": "FORCE",
        }
        assert (mappers["role"].config or {}).get("syncMode") == "INHERIT"  # the default

        # The second pass of an in-sync realm writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        kube.patch("keycloakrealms", ns, "realm", {"metadata": {"annotations": {"poke": "1"}}})
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes

        # Drift: fields, config and mappers changed by hand are reverted; a key the spec
        # does not set survives the controller's PUT.
        drifted = admin.identity_providers.get(realm, "partner")
        drifted.display_name = "Hacked"
        drifted.hide_on_login = False
        drifted.config = {**(drifted.config or {}), "guiOrder": "9", "allowedClockSkew": "7"}
        admin.identity_providers.update(realm, "partner", drifted)
        dept = mappers["dept"]
        dept.config = {**(dept.config or {}), "claim": "other"}
        admin.identity_providers.update_mapper(realm, "partner", dept.id or "", dept)
        admin.identity_providers.delete_mapper(realm, "partner", mappers["role"].id or "")
        admin.identity_providers.create_mapper(
            realm,
            "partner",
            IdentityProviderMapperRepresentation(
                name="handmade",
                identity_provider_alias="partner",
                identity_provider_mapper="oidc-hardcoded-role-idp-mapper",
                config={"role": "offline_access"},
            ),
        )

        def reverted() -> bool:
            now = admin.identity_providers.get(realm, "partner")
            conf = now.config or {}
            found = mappers_of(admin, realm, "partner")
            return (
                now.display_name == "Partner"
                and now.hide_on_login is True
                and conf.get("guiOrder") == "3"
                and set(found) == {"role", "dept"}
                and (found["dept"].config or {}).get("claim") == "dept"
            )

        wait_until(reverted, TIMEOUT, "the drift reverted")
        after = admin.identity_providers.get(realm, "partner").config or {}
        assert after.get("allowedClockSkew") == "7"  # not the spec's: left alone
        assert after.get("clientSecret") == "**********"  # still set (re-sent, not erased)

        # A provider made elsewhere stays when unlisted; an owned one is deleted; a
        # listed mapper removed from the spec is deleted (authoritative).
        admin.identity_providers.create(
            realm,
            IdentityProviderRepresentation(
                alias="handmade", provider_id="google", config={"clientId": "x"}
            ),
        )
        kube.patch(
            "keycloakrealms",
            ns,
            "realm",
            {
                "spec": {
                    "identityProviders": [
                        partner(
                            displayName="Partner 2",
                            mappers=[{"name": "role", "hardcodedRole": {"role": "offline_access"}}],
                        )
                    ]
                }
            },
        )

        def removed() -> bool:
            aliases = {p.alias for p in admin.identity_providers.list(realm)}
            return (
                aliases == {"partner", "handmade"}
                and set(mappers_of(admin, realm, "partner")) == {"role"}
                and admin.identity_providers.get(realm, "partner").display_name == "Partner 2"
            )

        wait_until(removed, TIMEOUT, "the unlisted owned provider and mapper removed")
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "ready")

        # A first broker login flow that does not exist is named, not sent (Keycloak
        # would answer 500); naming an existing one applies.
        kube.patch(
            "keycloakrealms",
            ns,
            "realm",
            {"spec": {"identityProviders": [partner(firstBrokerLoginFlowAlias="no-such-flow")]}},
        )

        def refused() -> bool:
            cond = kube.condition("keycloakrealms", ns, "realm") or {}
            return "firstBrokerLoginFlowAlias: no authentication flow 'no-such-flow'" in (
                cond.get("message") or ""
            )

        wait_until(refused, TIMEOUT, "the missing flow named")
        assert kube.reason("keycloakrealms", ns, "realm") == "InvalidSpec"
        kube.patch(
            "keycloakrealms",
            ns,
            "realm",
            {
                "spec": {
                    "identityProviders": [partner(firstBrokerLoginFlowAlias="first broker login")]
                }
            },
        )
        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "ready")
        assert (
            admin.identity_providers.get(realm, "partner").first_broker_login_flow_alias
            == "first broker login"
        )


def test_organization_linked_identity_providers_on_every_version(
    crds: ControlPlaneEndpoint,
    keycloak_any_version: KeycloakEndpoint,
    unique_name: Callable[[str], str],
    ready_realm: Callable[..., ReadyRealm],
) -> None:
    endpoint = keycloak_any_version
    kube = Kube(crds)
    ns = kube.namespace(unique_name("org-idps"))

    def social(alias: str) -> dict[str, Any]:
        return {
            "alias": alias,
            "providerId": "github",
            "social": {"clientId": alias, "clientSecretRef": {"name": "gh", "key": "secret"}},
        }

    kube.secret(ns, "gh", {"secret": "gh-secret-value"})

    with (
        KeycloakAdmin.with_password(
            endpoint.base_url, endpoint.admin_username, endpoint.admin_password
        ) as admin,
        running_controllers(crds, [ns], resync_period=3.0) as manager,
    ):
        realm = ready_realm(ns, endpoint=endpoint, timeout=TIMEOUT).realm_name
        spec = {
            "identityProviders": [social("acme-gh"), social("other-gh")],
            "organizationsEnabled": True,
            "organizations": [
                {
                    "name": "acme",
                    "domains": [{"name": "acme.example"}],
                    "identityProviders": [
                        {
                            "alias": "acme-gh",
                            "domain": "acme.example",
                            "redirectWhenEmailDomainMatches": True,
                        }
                    ],
                }
            ],
        }
        kube.patch("keycloakrealms", ns, "realm", {"spec": spec})
        if not admin.adapter.supports_organizations:
            wait_until(
                lambda: kube.reason("keycloakrealms", ns, "realm") == "IncompatibleVersion",
                TIMEOUT,
                "organizations refused on 24",
            )
            # The providers before them still applied.
            assert {p.alias for p in admin.identity_providers.list(realm)} == {
                "acme-gh",
                "other-gh",
            }
            return

        def linked() -> set[str]:
            org = admin.organizations.find(realm, "acme")
            if org is None or not org.id:
                return set()
            return {p.alias or "" for p in admin.organizations.identity_providers(realm, org.id)}

        wait_until(lambda: kube.is_ready("keycloakrealms", ns, "realm"), TIMEOUT, "ready")
        assert linked() == {"acme-gh"}
        # The link's domain and redirect are the provider's config; its secret stays set.
        config = admin.identity_providers.get(realm, "acme-gh").config or {}
        assert config.get("kc.org.domain") == "acme.example"
        assert config.get("kc.org.broker.redirect.mode.email-matches") == "true"
        assert config.get("clientSecret") == "**********"
        # The second pass writes nothing.
        wait_idle(manager, TIMEOUT)
        writes = keycloak_requests(f"{ns}/kc", writes_only=True)
        kube.patch("keycloakrealms", ns, "realm", {"metadata": {"annotations": {"poke": "1"}}})
        wait_idle(manager, TIMEOUT)
        assert keycloak_requests(f"{ns}/kc", writes_only=True) == writes

        # Drift: unlinked by hand, linked again; linked by hand, unlinked (authoritative).
        org = admin.organizations.find(realm, "acme")
        assert org is not None and org.id
        admin.organizations.unlink_identity_provider(realm, org.id, "acme-gh")
        admin.organizations.link_identity_provider(realm, org.id, "other-gh")
        wait_until(lambda: linked() == {"acme-gh"}, TIMEOUT, "links reverted")
        wait_until(
            lambda: (
                (admin.identity_providers.get(realm, "acme-gh").config or {}).get("kc.org.domain")
                == "acme.example"
            ),
            TIMEOUT,
            "the relinked provider's domain set again",
        )

        # A link's domain that the organization does not have is named.
        bad = {"alias": "acme-gh", "domain": "elsewhere.example"}
        spec["organizations"][0]["identityProviders"] = [bad]  # type: ignore[index]
        kube.patch("keycloakrealms", ns, "realm", {"spec": spec})

        def domain_named() -> bool:
            cond = kube.condition("keycloakrealms", ns, "realm") or {}
            return "identityProviders[acme-gh].domain: 'elsewhere.example'" in (
                cond.get("message") or ""
            )

        wait_until(domain_named, TIMEOUT, "the foreign domain named")

        # Unlisting a link unlinks it; the provider stays in the realm.
        spec["organizations"][0]["identityProviders"] = []  # type: ignore[index]
        kube.patch("keycloakrealms", ns, "realm", {"spec": spec})
        wait_until(lambda: linked() == set(), TIMEOUT, "unlinked")
        assert admin.identity_providers.get(realm, "acme-gh").alias == "acme-gh"

        # An alias the realm lacks is named.
        spec["organizations"][0]["identityProviders"] = [{"alias": "ghost"}]  # type: ignore[index]
        kube.patch("keycloakrealms", ns, "realm", {"spec": spec})

        def named() -> bool:
            cond = kube.condition("keycloakrealms", ns, "realm") or {}
            return "organizations[acme].identityProviders[ghost]" in (cond.get("message") or "")

        wait_until(named, TIMEOUT, "the unknown alias named")
        assert kube.reason("keycloakrealms", ns, "realm") == "InvalidSpec"
