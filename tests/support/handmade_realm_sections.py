"""The hand-made realm's further sections (flows, required actions, localization, user
profile, key providers and components, client policies, organizations, Kerberos), built
by hand and snapshotted for the export round trip.

Built the way a person would in the Admin Console, through the Admin API:
- the built-in browser flow copied as "handmade browser", then changed: the identity
  provider redirector gets an authenticator config (default provider corp), a
  CONDITIONAL subflow is appended with a conditional-user-role (configured) and a
  deny-access authenticator, a requirement is changed (Kerberos ALTERNATIVE), and the
  copy is bound as the realm's browser flow;
- required actions: TERMS_AND_CONDITIONS enabled, UPDATE_PASSWORD raised above
  CONFIGURE_TOTP (a reorder), VERIFY_EMAIL a default action, UPDATE_PASSWORD's
  max_auth_age configured;
- message overrides in en and de;
- a user-profile attribute (validations, annotations, permissions, a group) and a
  group, and the unmanaged-attribute policy;
- key providers: an extra ECDSA key (P-384, priority 90), an RSA key imported from
  a PEM with its certificate (the private key through a Secret stub, filled here),
  and the default rsa-generated provider's priority changed; one default client
  registration policy changed (Max Clients Limit), one added (Trusted Hosts for
  authenticated requests);
- a client profile (pkce-enforcer) and a client policy applying it to public clients;
- organizations enabled, an organization with a domain, an attribute and the corp
  identity provider linked to that domain;
- a Kerberos provider, disabled: it needs no KDC to exist (Keycloak reads the keytab
  only when a user logs in), so its keytab path is a path on no server; enabled, with
  no KDC, Keycloak would refuse every user create in the realm.

Ignored by the comparison (besides handmade_realm.IGNORED), and why:
- an execution's priority: the spec gives the order (kept, compared by `index`), not
  Keycloak's numbers (a copy numbers 10, 20, ...; executions added one by one 0, 1, ...);
- the ownership marker at the end of a flow's description: the controller's stamp;
- a config id inside an execution (authenticationConfig): an id; the config itself
  (alias and values) is compared;
- key material of key providers (privateKey, secret, kid, and the generated
  providers' certificate): Keycloak generates new keys for a new provider, and the
  imported key's private key is a secret value (masked on read); the imported key's
  certificate is compared;
- an identity provider's organizationId and an organization's id: ids;
- the user profile's component (its config is the user profile document as one JSON
  string, whose key order differs): the document itself is compared (userProfile);
- a subflow's description absent on one side and empty on the other
  (SECTION_FILLED_DEFAULTS): the controller adds a subflow with an empty description
  where Keycloak's copy of a built-in one has none; both show nothing;
- attributes left empty once the ignored keys are gone, against none at all
  (SECTION_FILLED_DEFAULTS): the copy's users carry the controller's ownership stamps
  (ignored keys); whether Keycloak answers them depends on the unmanaged-attribute
  policy this realm sets, so the copy's user may show an attributes map that is empty
  once they are ignored, where the hand-made user has none.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from keycloak_controller.api.realm_components import KEY_PROVIDER_TYPE
from keycloak_controller.controllers.realm_flows import strip_marker
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import (
    AuthenticatorConfigRepresentation,
    ClientPoliciesRepresentation,
    ClientProfilesRepresentation,
    ComponentRepresentation,
    OrganizationRepresentation,
    RealmRepresentation,
    RequiredActionConfigRepresentation,
    UPConfig,
)
from keycloak_controller.keycloak.resources.base import to_json

FLOW = "handmade browser"
GATE = "handmade role gate"
KEYTAB = "/nonexistent/handmade/http.keytab"
CLIENT_REGISTRATION_POLICY = (
    "org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy"
)
USER_STORAGE = "org.keycloak.storage.UserStorageProvider"
LDAP_MAPPER = "org.keycloak.storage.ldap.mappers.LDAPStorageMapper"
USER_PROFILE_PROVIDER = "org.keycloak.userprofile.UserProfileProvider"
KEY_MATERIAL = ("privateKey", "secret", "kid")


def _imported_key() -> tuple[str, str]:
    """A PEM RSA private key and a self-signed certificate of it (made once per run)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "handmade")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    return pem, cert.public_bytes(serialization.Encoding.PEM).decode()


PRIVATE_KEY, CERTIFICATE = _imported_key()

# Keys Keycloak fills with its default on a write path the hand-made objects never
# took (see handmade_realm.KEYCLOAK_FILLED_DEFAULTS), for the further realm sections.
SECTION_FILLED_DEFAULTS: dict[str, Any] = {
    # A subflow the controller adds gets an empty description where a copied one has none.
    "description": "",
    # Attributes that held only ignored keys (a user's ownership stamps, which this
    # realm's unmanaged-attribute policy shows) against no attributes at all.
    "attributes": {},
}
# What the export's Secret stubs for the further realm sections are filled with, by key suffix.
SECTION_SECRET_VALUES: dict[str, str] = {
    "key-imported-private-key": PRIVATE_KEY,
    "key-imported-certificate": CERTIFICATE,
}


def _component(admin: KeycloakAdmin, realm: str, body: dict[str, Any]) -> None:
    parent = admin.realms.get(realm).id
    admin.components.create(
        realm, ComponentRepresentation.model_validate({"parentId": parent, **body})
    )


def _build_flow(admin: KeycloakAdmin, name: str) -> None:
    auth = admin.authentication
    auth.copy_flow(name, "browser", FLOW)

    def info(display: str) -> Any:
        return next(i for i in auth.executions(name, FLOW) if i.display_name == display)

    redirector = next(
        i for i in auth.executions(name, FLOW) if i.provider_id == "identity-provider-redirector"
    )
    auth.create_config(
        name,
        redirector.id or "",
        AuthenticatorConfigRepresentation(
            alias="corp-redirect", config={"defaultProvider": "corp"}
        ),
    )
    spnego = next(i for i in auth.executions(name, FLOW) if i.provider_id == "auth-spnego")
    auth.update_execution(name, FLOW, spnego.model_copy(update={"requirement": "ALTERNATIVE"}))
    auth.add_subflow(name, FLOW, GATE, description="Viewers only")
    auth.update_execution(name, FLOW, info(GATE).model_copy(update={"requirement": "CONDITIONAL"}))
    role = auth.add_execution(name, GATE, "conditional-user-role")
    auth.add_execution(name, GATE, "deny-access-authenticator")
    for step in auth.executions(name, GATE):
        auth.update_execution(name, GATE, step.model_copy(update={"requirement": "REQUIRED"}))
    auth.create_config(
        name,
        role,
        AuthenticatorConfigRepresentation(
            alias="not-viewer", config={"condUserRole": "viewer", "negate": "true"}
        ),
    )
    admin.realms.update(name, RealmRepresentation(realm=name, browser_flow=FLOW))


def _build_required_actions(admin: KeycloakAdmin, name: str) -> None:
    auth = admin.authentication
    actions = {a.alias: a for a in auth.required_actions(name)}
    terms = actions["TERMS_AND_CONDITIONS"].model_copy(update={"enabled": True})
    auth.update_required_action(name, "TERMS_AND_CONDITIONS", terms)
    verify = actions["VERIFY_EMAIL"].model_copy(update={"default_action": True})
    auth.update_required_action(name, "VERIFY_EMAIL", verify)
    auth.move_required_action(name, "UPDATE_PASSWORD", up=True)
    auth.update_required_action_config(
        name, "UPDATE_PASSWORD", RequiredActionConfigRepresentation(config={"max_auth_age": "600"})
    )


def _build_user_profile(admin: KeycloakAdmin, name: str) -> None:
    doc = to_json(admin.user_profile.get(name))
    doc["attributes"].append(
        {
            "name": "department",
            "displayName": "Department",
            "validations": {"length": {"min": 2, "max": 40}},
            "annotations": {"inputType": "text"},
            "permissions": {"view": ["admin", "user"], "edit": ["admin"]},
            "group": "work",
            "multivalued": False,
        }
    )
    doc["groups"].append({"name": "work", "displayHeader": "Work", "displayDescription": "Job"})
    doc["unmanagedAttributePolicy"] = "ADMIN_EDIT"
    admin.user_profile.update(name, UPConfig.model_validate(doc))


def _build_components(admin: KeycloakAdmin, name: str) -> None:
    _component(
        admin,
        name,
        {
            "name": "es384",
            "providerId": "ecdsa-generated",
            "providerType": KEY_PROVIDER_TYPE,
            "config": {"priority": ["90"], "ecdsaEllipticCurveKey": ["P-384"]},
        },
    )
    _component(
        admin,
        name,
        {
            "name": "imported",
            "providerId": "rsa",
            "providerType": KEY_PROVIDER_TYPE,
            "config": {
                "priority": ["50"],
                "privateKey": [PRIVATE_KEY],
                "certificate": [CERTIFICATE],
                "active": ["false"],
            },
        },
    )
    for component in admin.components.list(name):
        config = dict(component.config or {})
        if component.name == "rsa-generated":
            config["priority"] = ["110"]
        elif component.name == "Max Clients Limit":
            config["max-clients"] = ["100"]
        else:
            continue
        admin.components.update(
            name, component.id or "", component.model_copy(update={"config": config})
        )
    _component(
        admin,
        name,
        {
            "name": "Trusted Hosts (authenticated)",
            "providerId": "trusted-hosts",
            "providerType": CLIENT_REGISTRATION_POLICY,
            "subType": "authenticated",
            "config": {
                "trusted-hosts": ["ci.example.test"],
                "host-sending-registration-request-must-match": ["true"],
                "client-uris-must-match": ["true"],
            },
        },
    )


def _build_client_policies(admin: KeycloakAdmin, name: str) -> None:
    admin.realms.update_client_profiles(
        name,
        ClientProfilesRepresentation.model_validate(
            {
                "profiles": [
                    {
                        "name": "pkce-only",
                        "description": "PKCE for public clients",
                        "executors": [
                            {"executor": "pkce-enforcer", "configuration": {"auto-configure": True}}
                        ],
                    }
                ]
            }
        ),
    )
    admin.realms.update_client_policies(
        name,
        ClientPoliciesRepresentation.model_validate(
            {
                "policies": [
                    {
                        "name": "public-pkce",
                        "description": "Public clients use PKCE",
                        "enabled": True,
                        "conditions": [
                            {
                                "condition": "client-access-type",
                                "configuration": {"type": ["public"]},
                            }
                        ],
                        "profiles": ["pkce-only"],
                    }
                ]
            }
        ),
    )


def _build_organization(admin: KeycloakAdmin, name: str) -> None:
    admin.realms.update(name, RealmRepresentation(realm=name, organizations_enabled=True))
    org_id = admin.organizations.create(
        name,
        OrganizationRepresentation.model_validate(
            {
                "name": "Acme",
                "alias": "acme",
                "description": "Customers",
                "enabled": True,
                "domains": [{"name": "acme.test", "verified": False}],
                "attributes": {"tier": ["gold"]},
            }
        ),
    )
    admin.organizations.link_identity_provider(name, org_id, "corp")
    corp = admin.identity_providers.get(name, "corp")
    config = {**(corp.config or {}), "kc.org.domain": "acme.test"}
    # The masked clientSecret goes back as read: Keycloak then keeps the secret it has.
    admin.identity_providers.update(name, "corp", corp.model_copy(update={"config": config}))


def _build_kerberos(admin: KeycloakAdmin, name: str) -> None:
    _component(
        admin,
        name,
        {
            "name": "corp-kerberos",
            "providerId": "kerberos",
            "providerType": USER_STORAGE,
            "config": {
                # Disabled: an enabled provider with no KDC behind it makes Keycloak refuse
                # every user create in the realm ("Kerberos unreachable"), and the copy's
                # users are created after its providers (they wait for the realm).
                "enabled": ["false"],
                "priority": ["1"],
                "kerberosRealm": ["EXAMPLE.TEST"],
                "serverPrincipal": ["HTTP/sso.example.test@EXAMPLE.TEST"],
                "keyTab": [KEYTAB],
                "allowPasswordAuthentication": ["true"],
                "editMode": ["UNSYNCED"],
                "updateProfileFirstLogin": ["false"],
                "debug": ["false"],
            },
        },
    )


def build_sections(admin: KeycloakAdmin, name: str) -> None:
    """Adds the further realm sections to the hand-made realm `name`."""
    _build_flow(admin, name)
    _build_required_actions(admin, name)
    admin.realms.set_localization_texts(name, "en", {"loginTitle": "Welcome, hand made"})
    admin.realms.set_localization_texts(name, "de", {"loginTitle": "Willkommen"})
    _build_user_profile(admin, name)
    _build_components(admin, name)
    _build_client_policies(admin, name)
    _build_organization(admin, name)
    _build_kerberos(admin, name)


# --- comparison ----------------------------------------------------------------------


def _dump(model: Any) -> Any:
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")


def _flows(admin: KeycloakAdmin, realm: str) -> dict[str, Any]:
    auth = admin.authentication
    out = {}
    for flow in auth.flows(realm):
        body = _dump(flow)
        body.pop("authenticationExecutions", None)  # the executions below say it all
        body["description"] = strip_marker(flow.description)
        steps = []
        for info in auth.executions(realm, flow.alias or ""):
            step = _dump(info)
            step.pop("priority", None)  # see the module docstring
            step.pop("flowId", None)
            config_id = step.pop("authenticationConfig", None)
            if config_id:
                step["config"] = _dump(auth.get_config(realm, config_id))
            steps.append(step)
        body["executions"] = steps
        out[flow.alias or ""] = body
    return out


def _components(admin: KeycloakAdmin, realm: str) -> dict[str, Any]:
    out = {}
    for component in admin.components.list(realm):
        if component.provider_type in (USER_STORAGE, LDAP_MAPPER, USER_PROFILE_PROVIDER):
            continue  # handmade_realm's userFederation; userProfile below
        body = _dump(component)
        config = body.get("config", {})
        for key in KEY_MATERIAL:
            config.pop(key, None)
        if component.provider_type == KEY_PROVIDER_TYPE and component.provider_id != "rsa":
            config.pop("certificate", None)  # generated with the key
        key = f"{(component.provider_type or '').rsplit('.', 1)[-1]}/{component.name}"
        out[f"{key}/{component.sub_type or ''}"] = body
    return out


def _organizations(admin: KeycloakAdmin, realm: str) -> dict[str, Any]:
    if not admin.realms.get(realm).organizations_enabled:
        return {}
    out = {}
    for org in admin.organizations.iter_all(realm):
        body = _dump(admin.organizations.get(realm, org.id or ""))
        body["identityProviders"] = {
            i.alias: {k: v for k, v in (i.config or {}).items() if k.startswith("kc.org")}
            for i in admin.organizations.identity_providers(realm, org.id or "")
        }
        out[org.name or ""] = body
    return out


def snapshot_sections(admin: KeycloakAdmin, realm: str) -> dict[str, Any]:
    """The further realm sections of `realm` as comparable plain data, by snapshot key."""
    # The list carries each action's config (the config endpoint refuses actions that
    # have none).
    actions = {a.alias or "": _dump(a) for a in admin.authentication.required_actions(realm)}
    return {
        "authenticationFlows": _flows(admin, realm),
        "requiredActions": actions,
        "localization": {
            locale: admin.realms.localization_texts(realm, locale)
            for locale in sorted(admin.realms.localization_locales(realm))
        },
        "userProfile": to_json(admin.user_profile.get(realm)),
        "components": _components(admin, realm),
        "clientProfiles": _dump(admin.realms.client_profiles(realm)),
        "clientPolicies": _dump(admin.realms.client_policies(realm)),
        "organizations": _organizations(admin, realm),
    }
