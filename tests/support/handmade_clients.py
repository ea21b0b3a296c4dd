"""The hand-made realm's further clients (SAML, typed OIDC settings, flow overrides,
authorization services), built by hand and snapshotted for the export round trip.

Built through the Admin API, with non-default values throughout:
- `sp.example.test`, a SAML client: ACS and logout URLs, IdP-initiated SSO, name id
  format, assertion signing with RSA_SHA512, encrypted assertions (the service
  provider's certificate, public, carried by a Secret stub the test fills), no client
  signature, no front-channel logout, an assertion lifespan and a mapper;
- `portal`, a Confidential OIDC client authenticating with a signed JWT (JWKS URL):
  token and session lifespans, signature algorithms, front- and back-channel logout,
  PKCE, consent screen, and one attribute with no typed field (escape hatch);
- `cli`, a public client with browser and direct grant flow overrides (to the built-in
  `browser` and `direct grant` flows, so it does not depend on exported custom flows);
- `orders`, a Confidential client whose service account is in group /eng, with
  authorization services: PERMISSIVE enforcement, AFFIRMATIVE decisions, no remote
  resource management, two scopes, two resources (one with attributes, type and URIs,
  one with owner-managed access), a role policy, a client policy, a NEGATIVE time
  policy, an aggregate, a resource permission and a scope permission. No user policy:
  the copy's users are other objects, applied at the same time, and a policy naming a
  user who is not there yet leaves the client InvalidSpec under the work queue's growing
  backoff, longer than the test waits on a busy machine (user policies are covered by
  tests/unit/export/test_client_authorization.py).

`snapshot_more_clients` adds every service account's groups and, per client with
authorization services, Keycloak's own
export of the resource server (GET .../authz/resource-server/settings: settings,
scopes, resources, policies and permissions, every reference by name), and every
client's flow overrides by alias. The behaviour is checked by `decisions`: on each
side, `api`'s service account (a viewer) is granted an `orders` RPT for each resource
and `orders`' own is refused, through the token endpoint as a resource server asks.

Ignored by the comparison besides handmade_realm's list, and why:
- `authenticationFlowBindingOverrides` in the client representations: flow ids, new in
  the copy; compared here by alias instead (`flowOverrides`);
- `_id` of authorization resources: ids;
- a resource's `owner`: Keycloak's export leaves it out for the client's own resources;
- the order of the JSON lists in a policy's config (an aggregate's policies, a
  permission's resources and scopes): Keycloak keeps them as sets.
No secret value is ignored here: the SAML encryption certificate is public and
compared as it is; `portal` has no client secret (it signs JWTs).
"""

from __future__ import annotations

import json
from typing import Any

import requests

from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import (
    AbstractPolicyRepresentation,
    ClientRepresentation,
    ResourceRepresentation,
    ResourceServerRepresentation,
    ScopeRepresentation,
)
from tests.support.saml import key_pair

SP_CERTIFICATE = key_pair("sp.example.test")
# Keys Keycloak fills with its default on a write path the hand-made objects never
# took (see handmade_realm.KEYCLOAK_FILLED_DEFAULTS), for the further clients.
CLIENT_FILLED_DEFAULTS: dict[str, Any] = {}
# What the export's Secret stubs for the further clients are filled with, by key suffix.
CLIENT_SECRET_VALUES: dict[str, str] = {
    "saml-encryption-certificate": SP_CERTIFICATE.certificate_pem,
}
AUTHZ_CLIENTS = ("orders",)


def build_more_clients(admin: KeycloakAdmin, name: str) -> None:
    """Adds the further clients to the hand-made realm `name`."""
    _saml_client(admin, name)
    _oidc_client(admin, name)
    flows = {f.alias: f.id or "" for f in admin.authentication.flows(name)}
    admin.clients.create(
        name,
        ClientRepresentation.model_validate(
            {
                "clientId": "cli",
                "publicClient": True,
                "directAccessGrantsEnabled": True,
                "redirectUris": ["http://localhost:8400/*"],
                "authenticationFlowBindingOverrides": {
                    "browser": flows["browser"],
                    "direct_grant": flows["direct grant"],
                },
            }
        ),
    )
    _authorization_client(admin, name)


def _saml_client(admin: KeycloakAdmin, name: str) -> None:
    admin.clients.create(
        name,
        ClientRepresentation.model_validate(
            {
                "clientId": "sp.example.test",
                "protocol": "saml",
                "frontchannelLogout": False,
                "redirectUris": ["https://sp.example.test/*"],
                "attributes": {
                    "saml_assertion_consumer_url_post": "https://sp.example.test/acs",
                    "saml_single_logout_service_url_redirect": "https://sp.example.test/slo",
                    "saml_idp_initiated_sso_url_name": "sp",
                    "saml_idp_initiated_sso_relay_state": "/home",
                    "saml_name_id_format": "email",
                    "saml_force_name_id_format": "true",
                    "saml.assertion.signature": "true",
                    "saml.signature.algorithm": "RSA_SHA512",
                    "saml.client.signature": "false",
                    "saml.encrypt": "true",
                    "saml.encryption.certificate": SP_CERTIFICATE.certificate_body,
                    "saml.assertion.lifespan": "120",
                },
                "protocolMappers": [
                    {
                        "name": "email",
                        "protocol": "saml",
                        "protocolMapper": "saml-user-property-mapper",
                        "config": {
                            "user.attribute": "email",
                            "attribute.name": "email",
                            "attribute.nameformat": "Basic",
                        },
                    }
                ],
            }
        ),
    )


def _oidc_client(admin: KeycloakAdmin, name: str) -> None:
    admin.clients.create(
        name,
        ClientRepresentation.model_validate(
            {
                "clientId": "portal",
                "publicClient": False,
                "clientAuthenticatorType": "client-jwt",
                "consentRequired": True,
                "frontchannelLogout": True,
                "redirectUris": ["https://portal.example.test/cb"],
                "attributes": {
                    "use.jwks.url": "true",
                    "jwks.url": "https://portal.example.test/jwks",
                    "token.endpoint.auth.signing.alg": "PS256",
                    "access.token.lifespan": "120",
                    "client.session.idle.timeout": "900",
                    "client.session.max.lifespan": "7200",
                    "client.offline.session.idle.timeout": "3600",
                    "access.token.signed.response.alg": "PS256",
                    "id.token.signed.response.alg": "PS384",
                    "frontchannel.logout.url": "https://portal.example.test/fc",
                    "frontchannel.logout.session.required": "false",
                    "backchannel.logout.url": "https://portal.example.test/bc",
                    "backchannel.logout.session.required": "false",
                    "backchannel.logout.revoke.offline.tokens": "true",
                    "pkce.code.challenge.method": "S256",
                    "display.on.consent.screen": "false",  # absent reads as true
                    "consent.screen.text": "The portal",
                    "use.refresh.tokens": "false",  # no typed field: the escape hatch
                },
            }
        ),
    )


def _authorization_client(admin: KeycloakAdmin, name: str) -> None:
    uuid = admin.clients.create(
        name,
        ClientRepresentation.model_validate(
            {
                "clientId": "orders",
                "publicClient": False,
                "serviceAccountsEnabled": True,
                "authorizationServicesEnabled": True,
                "standardFlowEnabled": False,
            }
        ),
    )
    # The service account in a group (one without roles, so the decisions below hold).
    eng = next(g for g in admin.groups.iter_tree(name) if g.path == "/eng")
    admin.users.join_group(name, admin.clients.service_account_user_id(name, uuid), eng.id or "")
    authz = admin.authorization
    authz.update_settings(
        name,
        uuid,
        ResourceServerRepresentation.model_validate(
            {
                "policyEnforcementMode": "PERMISSIVE",
                "decisionStrategy": "AFFIRMATIVE",
                "allowRemoteResourceManagement": False,
            }
        ),
    )
    read = authz.create_scope(name, uuid, ScopeRepresentation(name="read"))
    write = authz.create_scope(
        name, uuid, ScopeRepresentation.model_validate({"name": "write", "displayName": "Write"})
    )
    authz.create_resource(
        name,
        uuid,
        ResourceRepresentation.model_validate(
            {
                "name": "order",
                "displayName": "An order",
                "type": "urn:orders:order",
                "uris": ["/orders/*"],
                "attributes": {"tier": ["gold"]},
                "scopes": [{"id": read, "name": "read"}, {"id": write, "name": "write"}],
            }
        ),
    )
    authz.create_resource(
        name,
        uuid,
        ResourceRepresentation.model_validate(
            {
                "name": "invoice",
                "ownerManagedAccess": True,
                "scopes": [{"id": read, "name": "read"}],
            }
        ),
    )
    viewer = admin.roles.get(name, "viewer").id
    api = admin.clients.find(name, "api")
    assert api is not None

    def policy(kind: str, body: dict[str, Any]) -> str:
        return authz.create_policy(
            name, uuid, kind, AbstractPolicyRepresentation.model_validate(body)
        )

    viewers = policy(
        "role",
        {"name": "viewers", "description": "Has viewer", "roles": [{"id": viewer}]},
    )
    from_api = policy("client", {"name": "from-api", "clients": [api.id]})
    policy(
        "time",
        {"name": "not-in-2020", "logic": "NEGATIVE", "year": "2020", "yearEnd": "2020"},
    )
    either = policy(
        "aggregate",
        {
            "name": "viewer-or-api",
            "decisionStrategy": "AFFIRMATIVE",
            "policies": [viewers, from_api],
        },
    )
    resources = {r.name: r.field_id for r in authz.resources(name, uuid)}
    authz.create_permission(
        name,
        uuid,
        "resource",
        AbstractPolicyRepresentation.model_validate(
            {
                "name": "order-access",
                "decisionStrategy": "AFFIRMATIVE",
                "resources": [resources["order"]],
                "policies": [viewers],
            }
        ),
    )
    authz.create_permission(
        name,
        uuid,
        "scope",
        AbstractPolicyRepresentation.model_validate(
            {
                "name": "invoice-read",
                "description": "Viewers and api read invoices",
                "resources": [resources["invoice"]],
                "scopes": [read],
                "policies": [either],
            }
        ),
    )


def snapshot_more_clients(admin: KeycloakAdmin, realm: str) -> dict[str, Any]:
    """The further clients' details of `realm` as comparable plain data, by snapshot key."""
    flows = {f.id: f.alias for f in admin.authentication.flows(realm)}
    overrides = {}
    authorization = {}
    account_groups = {}
    for client in admin.clients.iter_all(realm):
        bound = client.authentication_flow_binding_overrides or {}
        overrides[client.client_id] = {k: flows.get(v, v) for k, v in bound.items() if v}
        if client.service_accounts_enabled:
            user = admin.clients.service_account_user_id(realm, client.id or "")
            account_groups[client.client_id] = sorted(
                g.path or "" for g in admin.users.iter_groups(realm, user)
            )
        if client.authorization_services_enabled:
            exported = admin.authorization.export(realm, client.id or "")
            body = exported.model_dump(by_alias=True, exclude_none=True, mode="json")
            for resource in body.get("resources", []):
                resource.pop("_id", None)
            for policy in body.get("policies", []):
                config = policy.get("config", {})
                config.update({k: _as_set(v) for k, v in config.items()})
            authorization[client.client_id] = body
    return {
        "flowOverrides": overrides,
        "authorization": authorization,
        "serviceAccountGroups": account_groups,
        "decisions": decisions(admin, realm),
    }


def _as_set(value: str) -> Any:
    """A policy config's JSON list, in a stable order (Keycloak keeps associated
    policies, resources and scopes as sets, listed in no particular order)."""
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    return sorted(parsed, key=json.dumps) if isinstance(parsed, list) else value


def decisions(admin: KeycloakAdmin, realm: str) -> dict[str, bool]:
    """What `orders`' permissions decide, asked the way a resource server asks: each
    service account (`api`'s has the viewer role, `orders`' has not) gets a token with
    the client-credentials grant and asks for an `orders` RPT per resource
    (uma-ticket grant, response_mode=decision). Plain token endpoint requests: no
    Admin API write, so the adopt test's zero-write check holds."""
    base = f"{admin.transport.base_url}/realms/{realm}/protocol/openid-connect/token"
    verify = admin.transport.verify
    out = {}
    for who in ("api", "orders"):
        client = admin.clients.find(realm, who)
        if client is None or not client.id:
            return {}
        secret = admin.clients.get_secret(realm, client.id).value or ""
        answer = requests.post(
            base,
            data={"grant_type": "client_credentials"},
            auth=(who, secret),
            timeout=30,
            verify=verify,
        )
        answer.raise_for_status()
        token = answer.json()["access_token"]
        for resource in ("invoice", "order"):
            asked = requests.post(
                base,
                data={
                    "grant_type": "urn:ietf:params:oauth:grant-type:uma-ticket",
                    "audience": "orders",
                    "permission": resource,
                    "response_mode": "decision",
                },
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
                verify=verify,
            )
            permitted = asked.status_code == 200 and asked.json().get("result") is True
            out[f"{who} {resource}"] = permitted
    # Not a vacuous comparison: the viewer is permitted, the other denied, on each side.
    assert out == {
        "api invoice": True,
        "api order": True,
        "orders invoice": False,
        "orders order": False,
    }, out
    return out
