"""The mappers of one managed identity provider, by name: AUTHORITATIVE when listed.

A typed mapper kind becomes the mapper type id and config keys of the provider's
type (an attribute importer is `oidc-user-attribute-idp-mapper` on an OIDC
provider, `saml-user-attribute-idp-mapper` on SAML, `<provider>-user-attribute-
mapper` on a social one). A mapper whose type changed is deleted and created again
(Keycloak keeps a mapper's type once made).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from keycloak_controller.api.realm_identity_providers import (
    OIDC_TYPES,
    IdentityProvider,
    IdentityProviderMapper,
    ProviderType,
)
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import IdentityProviderMapperRepresentation

from .childset import ChildSet, Removal, SetOps
from .plan import Change
from .reasons import INVALID_SPEC, Problem

MAPPERS_REMOVAL = Removal.AUTHORITATIVE
HARDCODED_ROLE = "oidc-hardcoded-role-idp-mapper"  # its id on every provider type


@dataclass(frozen=True)
class DesiredMapper:
    """A listed mapper as Keycloak names it: its type id and the config keys it sets."""

    name: str
    type_id: str
    config: dict[str, str]


def _typed(
    provider: ProviderType, mapper: IdentityProviderMapper, where: str
) -> tuple[str, dict[str, str]]:
    if mapper.hardcoded_role is not None:
        return HARDCODED_ROLE, {"role": mapper.hardcoded_role.role}
    if mapper.attribute_importer is not None:
        source, target = mapper.attribute_importer.source, mapper.attribute_importer.user_attribute
        if provider in OIDC_TYPES:
            return "oidc-user-attribute-idp-mapper", {"claim": source, "user.attribute": target}
        if provider is ProviderType.SAML:
            return "saml-user-attribute-idp-mapper", {
                "attribute.name": source,
                "user.attribute": target,
            }
        return f"{provider.value}-user-attribute-mapper", {
            "jsonField": source,
            "userAttribute": target,
        }
    if mapper.claim_to_role is not None:
        rule = mapper.claim_to_role
        if provider in OIDC_TYPES:
            return "oidc-role-idp-mapper", {
                "claim": rule.claim,
                "claim.value": rule.claim_value,
                "role": rule.role,
            }
        if provider is ProviderType.SAML:
            return "saml-role-idp-mapper", {
                "attribute.name": rule.claim,
                "attribute.value": rule.claim_value,
                "role": rule.role,
            }
        raise Problem(
            INVALID_SPEC,
            f"{where}.claimToRole: {provider.value} providers have no claim-to-role mapper; "
            "use hardcodedRole or identityProviderMapper",
        )
    if mapper.identity_provider_mapper:
        return mapper.identity_provider_mapper, {}
    raise Problem(
        INVALID_SPEC,
        f"{where}: set one of hardcodedRole, attributeImporter, "
        "claimToRole or identityProviderMapper",
    )


def desired_mapper(provider: IdentityProvider, mapper: IdentityProviderMapper) -> DesiredMapper:
    """The mapper's type id and config; a raw config key the typed kind sets is refused."""
    where = f"spec.identityProviders[{provider.alias}].mappers[{mapper.name}]"
    type_id, config = _typed(provider.provider_id, mapper, where)
    typed_keys = set(config) | ({"syncMode"} if mapper.sync_mode is not None else set())
    clash = sorted(set(mapper.config or {}) & typed_keys)
    if clash:
        raise Problem(
            INVALID_SPEC, f"{where}.config: {clash} are set by the typed fields; set them there"
        )
    merged = {**(mapper.config or {}), **config}
    if mapper.sync_mode is not None:
        merged["syncMode"] = mapper.sync_mode.value
    return DesiredMapper(mapper.name, type_id, merged)


def mapper_equal(want: DesiredMapper, have: IdentityProviderMapperRepresentation) -> bool:
    config = have.config or {}
    return have.identity_provider_mapper == want.type_id and all(
        config.get(k) == v for k, v in want.config.items()
    )


MAPPERS: ChildSet[DesiredMapper, IdentityProviderMapperRepresentation] = ChildSet(
    name="mappers",
    removal=MAPPERS_REMOVAL,
    desired_key=lambda m: m.name,
    actual_key=lambda m: m.name or "",
    equal=mapper_equal,
)


def mapper_changes(
    admin: KeycloakAdmin,
    realm: str,
    provider: IdentityProvider,
    actual: list[IdentityProviderMapperRepresentation],
) -> list[Change]:
    """The listed provider's mappers (it exists and lists them)."""
    alias = provider.alias
    desired = [desired_mapper(provider, m) for m in provider.mappers or ()]
    plan = MAPPERS.plan(desired, actual)

    def create(want: DesiredMapper) -> None:
        body = IdentityProviderMapperRepresentation(
            name=want.name,
            identity_provider_alias=alias,
            identity_provider_mapper=want.type_id,
            # Keycloak reads a mapper without syncMode as LEGACY; the console's default
            # (and this field's) is INHERIT.
            config={"syncMode": "INHERIT", **want.config},
        )
        admin.identity_providers.create_mapper(realm, alias, body)

    def delete(have: IdentityProviderMapperRepresentation) -> None:
        with contextlib.suppress(kc_errors.NotFound):
            admin.identity_providers.delete_mapper(realm, alias, have.id or "")

    def update(want: DesiredMapper, have: IdentityProviderMapperRepresentation) -> None:
        if have.identity_provider_mapper != want.type_id:
            delete(have)
            create(want)
            return
        body = have.model_copy(deep=True)
        body.config = {**(have.config or {}), **want.config}
        admin.identity_providers.update_mapper(realm, alias, have.id or "", body)

    changes = MAPPERS.changes(plan, SetOps(create, delete, update))
    prefix = f"identityProviders[{alias}]."
    return [Change(prefix + c.path, c.verb, c.run, c.target) for c in changes]
