"""`spec.defaultClientScopes` and `spec.optionalClientScopes` as a realm section: the
client scopes new clients of the realm get, as default or optional scopes.

Both are AUTHORITATIVE when set, by name. A name that is neither a client scope
of the realm nor one `spec.clientScopes` is about to create is refused
(InvalidSpec naming the field); one being created is planned once it exists.
Keycloak keeps a scope in at most one of the two lists: moving a scope from one
to the other is a removal from the first (planned first) and an addition.
"""

from __future__ import annotations

import contextlib

from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.keycloak import errors as kc_errors

from .childset import ChildSet, Removal, SetOps, identity
from .plan import Change
from .realm_section import RealmSection
from .reasons import INVALID_SPEC, Problem

REALM_DEFAULTS_REMOVAL = Removal.AUTHORITATIVE
FIELDS = {False: "defaultClientScopes", True: "optionalClientScopes"}


def defaults_set(optional: bool) -> ChildSet[str, str]:
    return ChildSet(
        name=FIELDS[optional],
        removal=REALM_DEFAULTS_REMOVAL,
        desired_key=identity,
        actual_key=identity,
    )


def wanted_names(field: str, names: list[str], existing: set[str], pending: set[str]) -> list[str]:
    """The names to plan now (pure): unknown ones refused, pending creations skipped."""
    unknown = sorted(set(names) - existing - pending)
    if unknown:
        raise Problem(
            INVALID_SPEC,
            f"spec.{field}: unknown client scope(s) {unknown}; list them in spec.clientScopes "
            "or create them first",
        )
    return sorted(set(names) & existing)


class ScopeDefaultsSection(RealmSection):
    name = "defaultClientScopes"

    @classmethod
    def managed(cls, spec: KeycloakRealmSpec) -> bool:
        return spec.default_client_scopes is not None or spec.optional_client_scopes is not None

    def observe(self) -> None:
        admin, realm = self.scope.admin, self.scope.realm
        self.ids = {s.name: s.id for s in admin.client_scopes.list(realm) if s.name and s.id}
        wanted = {False: self.spec.default_client_scopes, True: self.spec.optional_client_scopes}
        self.have = {
            optional: [
                s.name or "" for s in admin.client_scopes.realm_defaults(realm, optional=optional)
            ]
            for optional, names in wanted.items()
            if names is not None
        }

    def plan(self) -> list[Change]:
        admin, realm = self.scope.admin, self.scope.realm
        pending = {s.name for s in self.spec.client_scopes or ()} - set(self.ids)
        wanted = {False: self.spec.default_client_scopes, True: self.spec.optional_client_scopes}
        both = set(wanted[False] or ()) & set(wanted[True] or ())
        if both:
            raise Problem(
                INVALID_SPEC,
                f"spec.optionalClientScopes: {sorted(both)} also in spec.defaultClientScopes; "
                "a scope is either a default or an optional one",
            )
        removals: list[Change] = []
        additions: list[Change] = []
        for optional, names in wanted.items():
            if names is None:
                continue
            field = FIELDS[optional]
            chosen = wanted_names(field, names, set(self.ids), pending)
            scopes = defaults_set(optional)
            plan = scopes.plan(chosen, self.have[optional])

            def add(name: str, optional: bool = optional) -> None:
                admin.client_scopes.add_realm_default(realm, self.ids[name], optional=optional)

            def remove(name: str, optional: bool = optional) -> None:
                if name in self.ids:
                    with contextlib.suppress(kc_errors.NotFound):
                        admin.client_scopes.remove_realm_default(
                            realm, self.ids[name], optional=optional
                        )

            for change in scopes.changes(plan, SetOps(add, remove)):
                (additions if change.verb == "create" else removals).append(change)
        return removals + additions
