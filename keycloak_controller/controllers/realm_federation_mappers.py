"""An LDAP provider's mappers (`userFederation.ldap[].mappers`), by name.

AUTHORITATIVE when set: a mapper that is not listed is deleted, Keycloak's
default mappers (made when the provider is created: username, email, first
name, last name, creation date, modify date, and on 26 the Kerberos principal
attribute mapper) included, because a list that silently keeps some unlisted
mappers would not say what the provider does. Unset: none is touched, so the
defaults stay. A listed mapper is matched by name: another provider id means
delete and create (Keycloak cannot change a component's provider), same id
means its config is updated on the listed keys only.
"""

from __future__ import annotations

import contextlib

from keycloak_controller.api.realm_federation import LdapMapper
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import ComponentRepresentation

from .childset import ChildSet, Removal, SetOps
from .plan import Change
from .realm_federation_config import (
    LDAP_MAPPER,
    config_differs,
    mapper_config,
    mapper_defaults,
    mapper_provider,
    merged,
)

MAPPERS_REMOVAL = Removal.AUTHORITATIVE


def mapper_equal(want: LdapMapper, have: ComponentRepresentation) -> bool:
    return have.provider_id == mapper_provider(want) and not config_differs(
        mapper_config(want), have.config
    )


def mapper_set(provider: str) -> ChildSet[LdapMapper, ComponentRepresentation]:
    return ChildSet(
        name=f"userFederation.ldap[{provider}].mappers",
        removal=MAPPERS_REMOVAL,
        desired_key=lambda m: m.name,
        actual_key=lambda m: m.name or "",
        equal=mapper_equal,
    )


def new_mapper(want: LdapMapper, parent_id: str) -> ComponentRepresentation:
    return ComponentRepresentation(
        name=want.name,
        provider_id=mapper_provider(want),
        provider_type=LDAP_MAPPER,
        parent_id=parent_id,
        config={**mapper_defaults(want), **mapper_config(want)},
    )


def mapper_changes(
    admin: KeycloakAdmin,
    realm: str,
    provider: str,
    provider_id: str,
    desired: list[LdapMapper],
    actual: list[ComponentRepresentation],
) -> list[Change]:
    mappers = mapper_set(provider)

    def create(want: LdapMapper) -> None:
        admin.components.create(realm, new_mapper(want, provider_id))

    def delete(have: ComponentRepresentation) -> None:
        with contextlib.suppress(kc_errors.NotFound):
            admin.components.delete(realm, have.id or "")

    def update(want: LdapMapper, have: ComponentRepresentation) -> None:
        if have.provider_id != mapper_provider(want):
            delete(have)
            create(want)
            return
        body = have.model_copy(deep=True)
        body.config = merged(have.config, mapper_config(want))
        admin.components.update(realm, have.id or "", body)

    return mappers.changes(mappers.plan(desired, actual), SetOps(create, delete, update))
