"""The desired client (pure): a KeycloakClient spec as canonical Keycloak models.

- `desired_client`: the ClientRepresentation to diff (mappers and scopes apart).
- `MAPPERS`, `scope_set`: the child sets of mappers and default/optional scopes.
- `admin_roles_requested`: the realm-admin-level roles a service account asks for.
- `credentials_data`: the credentials Secret's keys (documented in the API type).
"""

from __future__ import annotations

from typing import Any

from keycloak_controller.api.client import AccessType, KeycloakClientSpec, ProtocolMapper
from keycloak_controller.api.roles import RoleMappingSpec
from keycloak_controller.keycloak.diff import diff
from keycloak_controller.keycloak.models import ClientRepresentation, ProtocolMapperRepresentation
from keycloak_controller.keycloak.secrets import Secret

from . import client_settings as settings
from .childset import ChildSet, Removal, identity
from .client_settings import ClientInputs

# Keycloak keeps these settings as client attributes.
PKCE_ATTRIBUTE = "pkce.code.challenge.method"
DEVICE_GRANT_ATTRIBUTE = "oauth2.device.authorization.grant.enabled"
POST_LOGOUT_ATTRIBUTE = "post.logout.redirect.uris"
# Fields reconciled by their own endpoints, never through the client PUT.
SEPARATELY_MANAGED = ("protocolMappers", "defaultClientScopes", "optionalClientScopes")
FLOW_OVERRIDES = "authenticationFlowBindingOverrides"

# The client whose roles administer a realm, and the master realm's admin role.
REALM_MANAGEMENT = "realm-management"
ADMIN_REALM_ROLES = frozenset({"admin", "create-realm"})

# Keys of the credentials Secret.
KEY_CLIENT_ID = "client-id"
KEY_KEYCLOAK_URL = "keycloak-url"
KEY_REALM = "realm"
KEY_CLIENT_SECRET = "client-secret"  # noqa: S105 - a key name
KEY_ISSUER = "issuer"
KEY_TOKEN_ENDPOINT = "token-endpoint"  # noqa: S105 - a key name
KEY_AUTH_ENDPOINT = "authorization-endpoint"
KEY_USERINFO_ENDPOINT = "userinfo-endpoint"
KEY_JWKS_URI = "jwks-uri"
KEY_SAML_METADATA = "saml-idp-metadata-url"
KEY_SAML_SSO = "saml-idp-sso-url"
KEY_SAML_CERTIFICATE = "saml-idp-signing-certificate"


# Client attributes Keycloak reads as this value when they are absent: a client made
# elsewhere that never took the write path filling them in already has that value
# (else adopting it, or any hand-made client, would be a write).
ABSENT_MEANS = {DEVICE_GRANT_ATTRIBUTE: "false"}


def desired_client(
    spec: KeycloakClientSpec,
    ownership_attributes: dict[str, str],
    client_secret: Secret | None = None,
    inputs: ClientInputs | None = None,
) -> ClientRepresentation:
    inputs = inputs or ClientInputs()
    saml = spec.saml if spec.protocol == "saml" else None
    attributes: dict[str, str] = dict(spec.attributes or {})
    fields: dict[str, Any] = {
        "clientId": spec.client_id,
        "name": spec.name,
        "description": spec.description,
        "enabled": spec.enabled,
        "protocol": spec.protocol,
        "consentRequired": spec.consent_required,
        "rootUrl": spec.root_url,
        "baseUrl": spec.base_url,
        "adminUrl": spec.admin_url,
        "redirectUris": spec.redirect_uris,
        # Turned on by spec.authorization; never off (that deletes all of it).
        "authorizationServicesEnabled": True if spec.authorization is not None else None,
    }
    typed = [settings.common_fields(spec, inputs)]
    if saml is not None:
        typed.append(settings.saml_fields(saml, inputs))
    else:
        flows = spec.effective_flows()
        attributes[DEVICE_GRANT_ATTRIBUTE] = str(flows.device_authorization).lower()
        if spec.pkce_method is not None:
            attributes[PKCE_ATTRIBUTE] = spec.pkce_method.value
        if spec.post_logout_redirect_uris is not None:
            attributes[POST_LOGOUT_ATTRIBUTE] = "##".join(spec.post_logout_redirect_uris)
        fields.update(
            {
                "publicClient": spec.access_type is AccessType.PUBLIC,
                "bearerOnly": spec.access_type is AccessType.BEARER_ONLY,
                "standardFlowEnabled": flows.standard,
                "implicitFlowEnabled": flows.implicit,
                "directAccessGrantsEnabled": flows.direct_access_grants,
                "serviceAccountsEnabled": flows.service_accounts,
                "webOrigins": spec.web_origins,
            }
        )
        typed.append(settings.oidc_fields(spec, inputs))
        if spec.uses_client_secret() and client_secret is not None:
            fields["secret"] = client_secret.reveal()
    for part in typed:
        # Typed settings take precedence over spec.attributes; None means unmanaged.
        attributes.update(part.pop("attributes"))
        fields.update({k: v for k, v in part.items() if v is not None})
    attributes.update(ownership_attributes)
    fields["attributes"] = attributes
    return ClientRepresentation.model_validate({k: v for k, v in fields.items() if v is not None})


def _changes(desired: ClientRepresentation, actual: ClientRepresentation) -> dict[str, Any]:
    """The differing top-level fields. Flow overrides are authoritative (an override
    not wanted is sent as "", which is how Keycloak removes one), the rest one-sided."""
    changes = {
        k: v
        for k, v in diff(desired, actual).changes.items()
        if k not in SEPARATELY_MANAGED and k != FLOW_OVERRIDES
    }
    if "attributes" in changes:
        have_attributes = actual.attributes or {}
        differing = [
            k
            for k, v in changes["attributes"].items()
            if have_attributes.get(k) != v
            and not (k not in have_attributes and ABSENT_MEANS.get(k) == v)
        ]
        if not differing:
            del changes["attributes"]
    if desired.bearer_only and actual.bearer_only:
        # Keycloak never runs a flow for a bearer-only client: its standardFlowEnabled
        # (false when the controller creates one, often true on a hand-made one) means
        # nothing, and rewriting it would make adopting such a client a write.
        changes.pop("standardFlowEnabled", None)
    want = desired.authentication_flow_binding_overrides
    if want is not None:
        have = {k: v for k, v in (actual.authentication_flow_binding_overrides or {}).items() if v}
        if want != have:
            changes[FLOW_OVERRIDES] = {**dict.fromkeys(have, ""), **want}
    return changes


def client_update(
    desired: ClientRepresentation, actual: ClientRepresentation
) -> ClientRepresentation | None:
    """The PUT body (actual with the differing fields applied), or None when in sync.

    Keycloak's client PUT resets unsent booleans on some versions, so the body
    is the whole actual client with the changes merged in (maps merged key by key).
    """
    changes = _changes(desired, actual)
    if not changes:
        return None
    merged = actual.model_dump(by_alias=True, exclude_none=True, mode="json")
    for key in SEPARATELY_MANAGED:
        merged.pop(key, None)
    for key, value in changes.items():
        current = merged.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merged[key] = {**current, **value}
        else:
            merged[key] = value
    return ClientRepresentation.model_validate(merged)


def changed_fields(desired: ClientRepresentation, actual: ClientRepresentation) -> list[str]:
    """Names of the differing fields (for messages; values are never shown)."""
    return sorted(_changes(desired, actual))


# --- protocol mappers and client scopes ---------------------------------------------

MAPPERS_REMOVAL = Removal.AUTHORITATIVE
SCOPES_REMOVAL = Removal.AUTHORITATIVE


def desired_mapper(
    mapper: ProtocolMapper, protocol: str = "openid-connect"
) -> ProtocolMapperRepresentation:
    return ProtocolMapperRepresentation(
        name=mapper.name,
        protocol=protocol,
        protocol_mapper=mapper.protocol_mapper,
        config=dict(mapper.config),
    )


def _mapper_equal(want: ProtocolMapper, have: ProtocolMapperRepresentation) -> bool:
    config = have.config or {}
    return have.protocol_mapper == want.protocol_mapper and all(
        config.get(k) == v for k, v in want.config.items()
    )


# The spec's mappers are authoritative: missing ones created, unlisted ones deleted.
MAPPERS: ChildSet[ProtocolMapper, ProtocolMapperRepresentation] = ChildSet(
    name="protocolMappers",
    removal=MAPPERS_REMOVAL,
    desired_key=lambda m: m.name,
    actual_key=lambda m: m.name or "",
    equal=_mapper_equal,
)


def scope_set(optional: bool) -> ChildSet[str, str]:
    return ChildSet(
        name="optionalClientScopes" if optional else "defaultClientScopes",
        removal=SCOPES_REMOVAL,
        desired_key=identity,
        actual_key=identity,
    )


# --- service account roles ---------------------------------------------------------


def admin_roles_requested(mappings: RoleMappingSpec | None) -> list[str]:
    """Realm-admin-level roles in `mappings`: any realm-management client role, admin."""
    if mappings is None:
        return []
    found = [f"realm role {r}" for r in mappings.realm_roles or () if r in ADMIN_REALM_ROLES]
    for client_id, names in (mappings.client_roles or {}).items():
        if client_id == REALM_MANAGEMENT or client_id.endswith("-realm"):
            # <realm>-realm clients in master administer that realm.
            found.extend(f"{client_id} role {n}" for n in names)
    return found


# --- the credentials Secret ----------------------------------------------------------


def oidc_endpoints(base_url: str, realm: str) -> dict[str, str]:
    issuer = f"{base_url.rstrip('/')}/realms/{realm}"
    protocol = f"{issuer}/protocol/openid-connect"
    return {
        KEY_ISSUER: issuer,
        KEY_TOKEN_ENDPOINT: f"{protocol}/token",
        KEY_AUTH_ENDPOINT: f"{protocol}/auth",
        KEY_USERINFO_ENDPOINT: f"{protocol}/userinfo",
        KEY_JWKS_URI: f"{protocol}/certs",
    }


def saml_endpoints(base_url: str, realm: str, signing_certificate: str | None) -> dict[str, str]:
    issuer = f"{base_url.rstrip('/')}/realms/{realm}"
    data = {
        KEY_ISSUER: issuer,  # the IdP's entity id
        KEY_SAML_METADATA: f"{issuer}/protocol/saml/descriptor",
        KEY_SAML_SSO: f"{issuer}/protocol/saml",
    }
    if signing_certificate:
        data[KEY_SAML_CERTIFICATE] = signing_certificate
    return data


def credentials_data(
    client_id: str,
    client_secret: Secret | None,
    base_url: str,
    realm: str,
    *,
    saml: bool = False,
    idp_certificate: str | None = None,
) -> dict[str, str]:
    """The Secret's string data; `client-secret` only for clients that use one."""
    endpoints = (
        saml_endpoints(base_url, realm, idp_certificate)
        if saml
        else oidc_endpoints(base_url, realm)
    )
    data = {
        KEY_CLIENT_ID: client_id,
        KEY_KEYCLOAK_URL: base_url.rstrip("/"),
        KEY_REALM: realm,
        **endpoints,
    }
    if client_secret is not None:
        data[KEY_CLIENT_SECRET] = client_secret.reveal()
    return data
