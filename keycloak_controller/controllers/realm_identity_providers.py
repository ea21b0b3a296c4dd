"""`spec.identityProviders` as a realm section: identity providers by alias, and their mappers.

- Providers: OWNED_ONLY. A listed provider is created (tagged with the config key
  `keycloak-controller.dev/owner`; Keycloak keeps unknown config keys on 24, 25,
  26.0 and 26.7) or corrected; a provider this resource created that is no longer
  listed is deleted. A listed provider made elsewhere is managed but not tagged,
  so unlisting it leaves it alone. Its providerId cannot change (refused).
- Fields and config keys: only the ones the spec sets are compared and written
  (typed blocks, `config`); every other key Keycloak has is kept. An update is a
  PUT of the whole representation, so it is built from a fresh read plus the spec.
- Secrets (`configSecrets`, `clientSecretRef`): Keycloak answers `**********` for
  them, so a salted digest of each value sits beside it in the config key
  `keycloak-controller.dev/digest.<key>`; a differing digest is drift and the value
  is sent again. Every PUT carries the revealed values of the keys the spec
  sources from Secrets (a PUT without them would erase them); a masked key the
  spec does not manage is sent back masked, which Keycloak reads as "keep it".
- First and post broker login flows are looked up by alias when a change runs (the
  flows section, which runs first, may create them): a missing one is InvalidSpec
  naming it, never a 500 from Keycloak.
- Mappers of a listed provider that lists them: AUTHORITATIVE (see
  realm_identity_provider_mappers); a new provider's mappers are planned after its
  create re-observes.
- Versions: `hideOnLogin` is a config key (hideOnLoginPage) before 26; the adapter
  converts it both ways.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel

from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.api.realm_identity_providers import (
    IdentityProvider,
    OidcSettings,
    SocialSettings,
)
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import (
    IdentityProviderMapperRepresentation,
    IdentityProviderRepresentation,
)
from keycloak_controller.keycloak.secrets import Secret

from .childset import ChildSet, Removal, SetOps
from .ownership import PREFIX, Adoption, current_adoption
from .plan import Change
from .realm_identity_provider_mappers import mapper_changes
from .realm_section import RealmScope, RealmSection
from .reasons import INVALID_SPEC, Problem

IDP_OWNER = PREFIX + "owner"
DIGEST_PREFIX = PREFIX + "digest."
PROVIDERS_REMOVAL = Removal.OWNED_ONLY
MASKED = "**********"

# Typed fields -> Keycloak config keys, per typed block.
OIDC_KEYS = {
    "authorization_url": "authorizationUrl",
    "token_url": "tokenUrl",
    "user_info_url": "userInfoUrl",
    "jwks_url": "jwksUrl",
    "logout_url": "logoutUrl",
    "issuer": "issuer",
    "client_id": "clientId",
    "client_auth_method": "clientAuthMethod",
    "default_scopes": "defaultScope",
    "validate_signature": "validateSignature",
    "use_jwks_url": "useJwksUrl",
    "pkce_enabled": "pkceEnabled",
    "pkce_method": "pkceMethod",
    "disable_user_info": "disableUserInfo",
    "backchannel_supported": "backchannelSupported",
}
SAML_KEYS = {
    "single_sign_on_service_url": "singleSignOnServiceUrl",
    "single_logout_service_url": "singleLogoutServiceUrl",
    "entity_id": "entityId",
    "idp_entity_id": "idpEntityId",
    "name_id_policy_format": "nameIDPolicyFormat",
    "principal_type": "principalType",
    "principal_attribute": "principalAttribute",
    "want_authn_requests_signed": "wantAuthnRequestsSigned",
    "want_assertions_signed": "wantAssertionsSigned",
    "validate_signature": "validateSignature",
    "signing_certificate": "signingCertificate",
    "post_binding_response": "postBindingResponse",
    "post_binding_authn_request": "postBindingAuthnRequest",
}
SOCIAL_KEYS = {"client_id": "clientId", "default_scopes": "defaultScope"}
# Config keys only the typed top-level fields or the adapter may set.
RESERVED_KEYS = frozenset({"syncMode", "hideOnLoginPage", "kc.org"})
# Typed top-level fields compared and written as they are.
TOP_LEVEL = (
    "display_name",
    "enabled",
    "hide_on_login",
    "trust_email",
    "store_token",
    "add_read_token_role_on_create",
    "link_only",
    "first_broker_login_flow_alias",
    "post_broker_login_flow_alias",
)
FLOW_FIELDS = {
    "first_broker_login_flow_alias": "firstBrokerLoginFlowAlias",
    "post_broker_login_flow_alias": "postBrokerLoginFlowAlias",
}


def config_value(value: object) -> str:
    """Config values are strings on the wire ("true"/"false")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _block_config(block: BaseModel | None, keys: Mapping[str, str]) -> dict[str, str]:
    if block is None:
        return {}
    return {
        key: config_value(value)
        for name, key in keys.items()
        if (value := getattr(block, name)) is not None
    }


def typed_keys(provider: IdentityProvider) -> frozenset[str]:
    """Every config key the typed fields of this provider's type may set."""
    if provider.oidc is not None:
        keys: Mapping[str, str] = OIDC_KEYS
    elif provider.saml is not None:
        keys = SAML_KEYS
    else:
        keys = SOCIAL_KEYS
    return frozenset(keys.values()) | RESERVED_KEYS


def desired_config(provider: IdentityProvider) -> dict[str, str]:
    """The config keys the spec sets, without secrets (they are not in the spec)."""
    where = f"spec.identityProviders[{provider.alias}]"
    raw = dict(provider.config or {})
    secrets = provider.secret_refs()
    typed_block: BaseModel | None = provider.oidc or provider.saml or provider.social
    typed_ref = (
        typed_block.client_secret_ref
        if isinstance(typed_block, (OidcSettings, SocialSettings))
        else None
    )
    if typed_ref is not None and "clientSecret" in (provider.config_secrets or {}):
        raise Problem(
            INVALID_SPEC,
            f"{where}: clientSecretRef and configSecrets.clientSecret are both set; keep one",
        )
    clash = sorted(set(raw) & (typed_keys(provider) | set(secrets)))
    if clash:
        raise Problem(
            INVALID_SPEC,
            f"{where}.config: {clash} are set by typed fields or configSecrets; set them there",
        )
    reserved = sorted(k for k in [*raw, *secrets] if k.startswith(PREFIX))
    if reserved:
        raise Problem(INVALID_SPEC, f"{where}: {reserved} are reserved for the controller")
    if "clientSecret" in raw:
        raise Problem(INVALID_SPEC, f"{where}.config.clientSecret: secrets come from configSecrets")
    config = {
        **raw,
        **_block_config(provider.oidc, OIDC_KEYS),
        **_block_config(provider.saml, SAML_KEYS),
        **_block_config(provider.social, SOCIAL_KEYS),
    }
    if provider.sync_mode is not None:
        config["syncMode"] = provider.sync_mode.value
    return config


@dataclass(frozen=True)
class DesiredProvider:
    """A listed provider with its compared config (secrets as digests only)."""

    spec: IdentityProvider
    config: dict[str, str]  # listed keys and digest keys
    secrets: dict[str, Secret] = field(default_factory=dict, compare=False, repr=False)

    @property
    def alias(self) -> str:
        return self.spec.alias


def _top_level_equal(want: IdentityProvider, have: IdentityProviderRepresentation) -> bool:
    for name in TOP_LEVEL:
        wanted = getattr(want, name)
        if wanted is None:
            continue
        current = getattr(have, name)
        if isinstance(wanted, bool):
            if bool(current) != wanted:
                return False
        elif (current or "") != wanted:
            return False
    return True


def provider_equal(want: DesiredProvider, have: IdentityProviderRepresentation) -> bool:
    config = have.config or {}
    return _top_level_equal(want.spec, have) and all(
        config.get(k) == v for k, v in want.config.items()
    )


def is_owned(have: IdentityProviderRepresentation, owner_tag: str) -> bool:
    return (have.config or {}).get(IDP_OWNER) == owner_tag


def provider_set(owner_tag: str) -> ChildSet[DesiredProvider, IdentityProviderRepresentation]:
    return ChildSet(
        name="identityProviders",
        removal=PROVIDERS_REMOVAL,
        desired_key=lambda p: p.alias,
        actual_key=lambda p: p.alias or "",
        equal=provider_equal,
        owned=lambda p: is_owned(p, owner_tag),
        stamp=lambda want, have: adopted_provider(want, have, owner_tag),
    )


def adopted_provider(
    want: DesiredProvider, have: IdentityProviderRepresentation, owner_tag: str
) -> IdentityProviderRepresentation:
    """`have` as adoption takes it: tagged, and a Secret-sourced key with no digest
    recorded taken to hold the Secret's value (Keycloak masks it on read) while the
    Secret keeps the value it had at adoption (`Adoption.taken`)."""
    adoption = current_adoption() or Adoption()
    config = dict(have.config or {})
    for key, digest in want.config.items():
        path = f"identityProviders[{want.alias}].{key.removeprefix(DIGEST_PREFIX)}"
        if key.startswith(DIGEST_PREFIX) and key not in config and adoption.taken(path, digest):
            config[key] = digest
    config[IDP_OWNER] = owner_tag
    return have.model_copy(update={"config": config})


def apply_spec(
    body: IdentityProviderRepresentation, want: DesiredProvider
) -> IdentityProviderRepresentation:
    """The spec's fields and config keys (secrets revealed) written over `body`."""
    for name in TOP_LEVEL:
        value = getattr(want.spec, name)
        if value is not None:
            setattr(body, name, value)
    revealed = {key: secret.reveal() for key, secret in want.secrets.items()}
    body.config = {**(body.config or {}), **want.config, **revealed}
    return body


def new_provider(want: DesiredProvider, owner_tag: str) -> IdentityProviderRepresentation:
    body = IdentityProviderRepresentation(
        alias=want.alias,
        provider_id=want.spec.provider_id.value,
        enabled=True,
        config={IDP_OWNER: owner_tag},
    )
    return apply_spec(body, want)


def updated_provider(
    want: DesiredProvider, fresh: IdentityProviderRepresentation
) -> IdentityProviderRepresentation:
    """A fresh read with the spec over it: unmanaged keys survive; masked keys the spec
    sources from Secrets are replaced by their values."""
    return apply_spec(fresh.model_copy(deep=True), want)


def check_flows(admin: KeycloakAdmin, realm: str, provider: IdentityProvider) -> None:
    """Keycloak answers 500 to an unknown flow alias: name the field instead."""
    for name, wire in FLOW_FIELDS.items():
        alias = getattr(provider, name)
        if alias and admin.authentication.find_flow(realm, alias) is None:
            raise Problem(
                INVALID_SPEC,
                f"spec.identityProviders[{provider.alias}].{wire}: no authentication flow "
                f"{alias!r} in the realm; list it in spec.authenticationFlows or name an "
                "existing one",
            )


def put_provider_config(
    scope: RealmScope, spec: KeycloakRealmSpec, alias: str, config: Mapping[str, str]
) -> None:
    """Write config keys onto a provider from another section (an organization's link):
    a fresh read with the keys over it, and, when spec.identityProviders lists the
    provider, its Secret-sourced values (never their mask) and digests."""
    admin, realm = scope.admin, scope.realm
    body = admin.identity_providers.get(realm, alias).model_copy(deep=True)
    merged = {**(body.config or {}), **config}
    listed = next((p for p in spec.identity_providers or () if p.alias == alias), None)
    for key, ref in (listed.secret_refs() if listed is not None else {}).items():
        secret = scope.secret(ref)
        merged[key] = secret.reveal()
        merged[DIGEST_PREFIX + key] = scope.digest(secret)
    body.config = merged
    admin.identity_providers.update(realm, alias, body)


@dataclass
class ObservedProviders:
    actual: list[IdentityProviderRepresentation]
    # Listed providers that exist and list mappers: their mappers.
    mappers: dict[str, list[IdentityProviderMapperRepresentation]] = field(default_factory=dict)


class IdentityProvidersSection(RealmSection):
    name = "identityProviders"

    @classmethod
    def managed(cls, spec: KeycloakRealmSpec) -> bool:
        return spec.identity_providers is not None

    def observe(self) -> None:
        admin, realm = self.scope.admin, self.scope.realm
        actual = admin.identity_providers.list(realm)
        observed = ObservedProviders(actual)
        existing = {p.alias for p in actual}
        for provider in self.spec.identity_providers or []:
            if provider.mappers is not None and provider.alias in existing:
                observed.mappers[provider.alias] = admin.identity_providers.mappers(
                    realm, provider.alias
                )
        self.observed = observed

    def desired(self, provider: IdentityProvider) -> DesiredProvider:
        config = desired_config(provider)
        secrets: dict[str, Secret] = {}
        for key, ref in provider.secret_refs().items():
            try:
                secrets[key] = self.scope.secret(ref)
            except Problem as problem:  # name the field too
                raise Problem(
                    problem.reason,
                    f"spec.identityProviders[{provider.alias}] {key}: {problem.message}",
                ) from None
        for key, secret in secrets.items():
            config[DIGEST_PREFIX + key] = self.scope.digest(secret)
        return DesiredProvider(provider, config, secrets)

    def plan(self) -> list[Change]:
        admin, realm, owner = self.scope.admin, self.scope.realm, self.scope.owner_tag
        listed = self.spec.identity_providers or []
        by_alias = {p.alias: p for p in self.observed.actual if p.alias}
        for provider in listed:
            have = by_alias.get(provider.alias)
            if have is not None and have.provider_id != provider.provider_id.value:
                raise Problem(
                    INVALID_SPEC,
                    f"spec.identityProviders[{provider.alias}].providerId: the provider in "
                    f"Keycloak is {have.provider_id!r}; a provider's type cannot change, use "
                    "a new alias",
                )
        desired = [self.desired(p) for p in listed]
        providers = provider_set(owner)
        plan = providers.plan(desired, by_alias.values())

        def create(want: DesiredProvider) -> None:
            check_flows(admin, realm, want.spec)
            admin.identity_providers.create(realm, new_provider(want, owner))

        def update(want: DesiredProvider, have: IdentityProviderRepresentation) -> None:
            check_flows(admin, realm, want.spec)
            fresh = admin.identity_providers.get(realm, want.alias)
            admin.identity_providers.update(realm, want.alias, updated_provider(want, fresh))

        def delete(have: IdentityProviderRepresentation) -> None:
            with contextlib.suppress(kc_errors.NotFound):
                admin.identity_providers.delete(realm, have.alias or "")

        changes = [
            Change(c.path, c.verb, c.run, c.target, reobserve=c.verb == "create")
            for c in providers.changes(plan, SetOps(create, delete, update))
        ]
        for provider in listed:
            mappers = self.observed.mappers.get(provider.alias)
            if mappers is not None:
                changes += mapper_changes(admin, realm, provider, mappers)
        return changes
