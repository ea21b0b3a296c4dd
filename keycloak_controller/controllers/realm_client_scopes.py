"""`spec.clientScopes` as a realm section: client scopes, their protocol mappers and
their scope mappings, as child sets.

- Scopes: OWNED_ONLY, keyed by name. A scope this resource created carries the
  attribute `keycloak-controller.dev/owner`; only those are deleted when no longer
  listed. Keycloak's built-in scopes and scopes made elsewhere may be listed: the
  fields given are corrected, nothing else, and they are never tagged or deleted.
- A listed scope's protocol mappers: AUTHORITATIVE when set, keyed by name. An
  unknown mapper type is refused (InvalidSpec naming the field) against the
  server's installed types (`/admin/serverinfo`), read only when a mapper is
  about to be written.
- A listed scope's scope mappings: AUTHORITATIVE when set (realm roles when
  `realmRoles` is set; a client's roles per client listed in `clientRoles`).
A new scope's mappers and mappings are planned after it exists (its create
re-observes), as is anything another section attaches to it (realm defaults).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.api.realm_scopes import (
    BUILT_IN_SCOPES,
    ClientScope,
    ScopeMappings,
    ScopeProtocolMapper,
)
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import (
    ClientScopeRepresentation,
    MappingsRepresentation,
    ProtocolMapperRepresentation,
)

from .childset import ChildSet, Removal, SetOps
from .ownership import PREFIX
from .plan import Change
from .realm_section import RealmSection
from .reasons import INVALID_SPEC, Problem
from .role_mappings import Subject, plan_mappings
from .roles import RoleResolver

SCOPE_OWNER = PREFIX + "owner"
SCOPES_REMOVAL = Removal.OWNED_ONLY
MAPPERS_REMOVAL = Removal.AUTHORITATIVE
DEFAULT_PROTOCOL = "openid-connect"

# Typed fields kept as scope attributes in Keycloak.
TYPED_ATTRIBUTES = {
    "include_in_token_scope": "include.in.token.scope",
    "display_on_consent_screen": "display.on.consent.screen",
    "consent_screen_text": "consent.screen.text",
    "gui_order": "gui.order",
}


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def desired_attributes(scope: ClientScope) -> dict[str, str]:
    """The scope's attributes as the spec wants them (typed fields win)."""
    out = dict(scope.attributes or {})
    for field_name, attribute in TYPED_ATTRIBUTES.items():
        value = getattr(scope, field_name)
        if value is not None:
            out[attribute] = _text(value)
    return out


def scope_equal(want: ClientScope, have: ClientScopeRepresentation) -> bool:
    """One-sided: only what the spec sets is compared."""
    attrs = have.attributes or {}
    return (
        (want.protocol is None or have.protocol == want.protocol)
        and (want.description is None or (have.description or "") == want.description)
        and all(attrs.get(k) == v for k, v in desired_attributes(want).items())
    )


def scope_set(owner_tag: str) -> ChildSet[ClientScope, ClientScopeRepresentation]:
    return ChildSet(
        name="clientScopes",
        removal=SCOPES_REMOVAL,
        desired_key=lambda s: s.name,
        actual_key=lambda s: s.name or "",
        equal=scope_equal,
        owned=lambda s: (s.attributes or {}).get(SCOPE_OWNER) == owner_tag,
        protected=lambda s: (s.name or "") in BUILT_IN_SCOPES,
    )


def new_scope(want: ClientScope, owner_tag: str) -> ClientScopeRepresentation:
    return ClientScopeRepresentation(
        name=want.name,
        protocol=want.protocol or DEFAULT_PROTOCOL,
        description=want.description,
        attributes={**desired_attributes(want), SCOPE_OWNER: owner_tag},
    )


def updated_scope(want: ClientScope, have: ClientScopeRepresentation) -> ClientScopeRepresentation:
    """`have` with the spec's fields on top; its other attributes (and tag) kept."""
    body = have.model_copy(deep=True)
    body.protocol_mappers = None
    body.protocol = want.protocol or have.protocol
    if want.description is not None:
        body.description = want.description
    body.attributes = {**(have.attributes or {}), **desired_attributes(want)}
    return body


def _mapper_equal(want: ScopeProtocolMapper, have: ProtocolMapperRepresentation) -> bool:
    config = have.config or {}
    return have.protocol_mapper == want.protocol_mapper and all(
        config.get(k) == v for k, v in want.config.items()
    )


def mapper_set(scope: str) -> ChildSet[ScopeProtocolMapper, ProtocolMapperRepresentation]:
    return ChildSet(
        name=f"clientScopes[{scope}].protocolMappers",
        removal=MAPPERS_REMOVAL,
        desired_key=lambda m: m.name,
        actual_key=lambda m: m.name or "",
        equal=_mapper_equal,
    )


def duplicates(names: Sequence[str]) -> list[str]:
    """Names listed more than once (the CRD's list-map refuses them at admission too)."""
    return sorted({n for n in names if names.count(n) > 1})


@dataclass
class ObservedScopes:
    actual: list[ClientScopeRepresentation]
    # Listed scopes that exist and set scopeMappings: their current mappings.
    mappings: dict[str, MappingsRepresentation] = field(default_factory=dict)


class ClientScopesSection(RealmSection):
    name = "clientScopes"

    @classmethod
    def managed(cls, spec: KeycloakRealmSpec) -> bool:
        return spec.client_scopes is not None

    def observe(self) -> None:
        admin, realm = self.scope.admin, self.scope.realm
        actual = admin.client_scopes.list(realm)
        observed = ObservedScopes(actual)
        by_name = {s.name: s for s in actual}
        for want in self.spec.client_scopes or ():
            have = by_name.get(want.name)
            if want.scope_mappings is not None and have is not None and have.id:
                observed.mappings[want.name] = admin.client_scopes.scope_mappings(realm, have.id)
        self.observed = observed

    def plan(self) -> list[Change]:
        desired = self.spec.client_scopes or []
        repeated = duplicates([s.name for s in desired])
        if repeated:
            raise Problem(INVALID_SPEC, f"spec.clientScopes: duplicate names {repeated}")
        admin, realm, tag = self.scope.admin, self.scope.realm, self.scope.owner_tag
        scopes = scope_set(tag)
        plan = scopes.plan(desired, self.observed.actual)

        def create(want: ClientScope) -> None:
            admin.client_scopes.create(realm, new_scope(want, tag))

        def update(want: ClientScope, have: ClientScopeRepresentation) -> None:
            admin.client_scopes.update(realm, have.id or "", updated_scope(want, have))

        def delete(have: ClientScopeRepresentation) -> None:
            scope_id = have.id or ""
            try:
                admin.client_scopes.delete(realm, scope_id)
            except kc_errors.BadRequest:
                # Keycloak refuses to delete a scope that is still a realm default.
                for optional in (False, True):
                    with contextlib.suppress(kc_errors.NotFound):
                        admin.client_scopes.remove_realm_default(realm, scope_id, optional=optional)
                admin.client_scopes.delete(realm, scope_id)
            except kc_errors.NotFound:
                pass

        changes = [
            # A new scope's mappers, mappings and realm-default place are planned once
            # it exists.
            Change(c.path, c.verb, c.run, c.target, reobserve=c.verb == "create")
            for c in scopes.changes(plan, SetOps(create, delete, update))
        ]
        by_name = {s.name: s for s in self.observed.actual}
        resolver = RoleResolver(admin, realm)
        for want in desired:
            have = by_name.get(want.name)
            if have is None or not have.id:
                continue
            if want.protocol_mappers is not None:
                changes += self._mapper_changes(want, have)
            mappings = self.observed.mappings.get(want.name)
            if want.scope_mappings is not None and mappings is not None:
                changes += _mapping_changes(
                    admin, realm, have.id, want, want.scope_mappings, mappings, resolver
                )
        return changes

    @functools.cached_property
    def _mapper_types(self) -> dict[str, set[str]] | None:
        try:
            return self.scope.admin.client_scopes.protocol_mapper_types()
        except kc_errors.KeycloakError:
            return None  # serverinfo hidden from this admin: Keycloak's answer decides

    def _check_type(self, scope: str, protocol: str, mapper: ScopeProtocolMapper) -> None:
        types = self._mapper_types
        if types is None or mapper.protocol_mapper in types.get(protocol, set()):
            return
        raise Problem(
            INVALID_SPEC,
            f"spec.clientScopes[{scope}].protocolMappers[{mapper.name}].protocolMapper: "
            f"unknown mapper type {mapper.protocol_mapper!r} for protocol {protocol!r} "
            "(not installed on this Keycloak)",
        )

    def _mapper_changes(self, want: ClientScope, have: ClientScopeRepresentation) -> list[Change]:
        admin, realm = self.scope.admin, self.scope.realm
        scope_id = have.id or ""
        protocol = have.protocol or DEFAULT_PROTOCOL
        mappers = want.protocol_mappers or []
        repeated = duplicates([m.name for m in mappers])
        if repeated:
            raise Problem(
                INVALID_SPEC,
                f"spec.clientScopes[{want.name}].protocolMappers: duplicate names {repeated}",
            )
        mset = mapper_set(want.name)
        plan = mset.plan(mappers, have.protocol_mappers or [])
        for mapper in [*plan.create, *(w for w, _ in plan.update)]:
            self._check_type(want.name, protocol, mapper)

        def body(mapper: ScopeProtocolMapper) -> ProtocolMapperRepresentation:
            return ProtocolMapperRepresentation(
                name=mapper.name,
                protocol=protocol,
                protocol_mapper=mapper.protocol_mapper,
                config=dict(mapper.config),
            )

        def create(mapper: ScopeProtocolMapper) -> None:
            admin.client_scope_protocol_mappers.create(realm, scope_id, body(mapper))

        def delete(current: ProtocolMapperRepresentation) -> None:
            with contextlib.suppress(kc_errors.NotFound):
                admin.client_scope_protocol_mappers.delete(realm, scope_id, current.id or "")

        def update(mapper: ScopeProtocolMapper, current: ProtocolMapperRepresentation) -> None:
            if current.protocol_mapper != mapper.protocol_mapper:
                delete(current)  # a mapper's type cannot change in place
                create(mapper)
                return
            new = body(mapper)
            new.id = current.id
            new.config = {**(current.config or {}), **mapper.config}
            admin.client_scope_protocol_mappers.update(realm, scope_id, current.id or "", new)

        return mset.changes(plan, SetOps(create, delete, update))


def _mapping_changes(
    admin: KeycloakAdmin,
    realm: str,
    scope_id: str,
    want: ClientScope,
    wanted: ScopeMappings,
    have: MappingsRepresentation,
    resolver: RoleResolver,
) -> list[Change]:
    """Scope-mapping changes; role names resolve when they run (a role the roles
    section creates in the same pass exists by then)."""
    scopes = admin.client_scopes
    subject = Subject(
        realm,
        f"clientScopes[{want.name}].scopeMappings",
        add=lambda roles, uuid: scopes.add_scope_mappings(realm, scope_id, roles, uuid),
        remove=lambda roles, uuid: scopes.remove_scope_mappings(realm, scope_id, roles, uuid),
        keeps_default_role=False,
    )
    return plan_mappings(resolver, subject, wanted, have)
