"""Reconciles `KeycloakRealm`: the realm's settings and realm roles.

resolve: its Keycloak (exists, connected, admits this namespace) -> observe:
the realm (one GET), the SMTP password Secret, the roles -> plan:
`realm_plan.realm_update` (only the differing fields) and the role child set ->
the skeleton applies -> status: realmId, keycloakVersion.

Sections behind their own endpoints (`realm_sections.SECTIONS`): roles
(owned-only; a role's composites authoritative when set).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from keycloak_controller.api import KeycloakRealm, KeycloakRealmStatus
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.adapters import Kind
from keycloak_controller.keycloak.models import RealmRepresentation
from keycloak_controller.keycloak.secrets import Secret

from . import reasons
from .ownership import Ownership, claim
from .parents import KeycloakParent, keycloak_parent
from .plan import Plan, Verb
from .realm_plan import desired_realm, realm_update, smtp_password_digest
from .realm_section import RealmScope, RealmSection
from .realm_sections import SECTIONS
from .reasons import Problem
from .skeleton import KindReconciler, observing, owner_of


@dataclass
class ObservedRealm:
    realm: RealmRepresentation | None
    smtp_password: Secret | None = None
    sections: list[RealmSection] = field(default_factory=list)


def owner_tag(cr: KeycloakRealm) -> str:
    return f"KeycloakRealm/{cr.metadata.namespace}/{cr.metadata.name}"


class RealmReconciler(KindReconciler[KeycloakRealm, KeycloakParent, ObservedRealm]):
    model = KeycloakRealm
    noun = "realm"

    def describe(self, cr: KeycloakRealm) -> str:
        return f"Realm {cr.spec.realm_name}"

    def resolve(self, cr: KeycloakRealm, *, cleanup: bool = False) -> KeycloakParent:
        keycloak, admin = keycloak_parent(
            self.ctx, cr.metadata.namespace, cr.spec.keycloak_ref, cleanup=cleanup
        )
        if admin is None:
            raise Problem(reasons.DEPENDENCY_NOT_READY, "the Keycloak credentials are gone")
        return KeycloakParent(keycloak, admin)

    def observe(self, cr: KeycloakRealm, parents: KeycloakParent) -> ObservedRealm:
        spec = cr.spec
        password = None
        if spec.smtp is not None and spec.smtp.auth is not None:
            password = self.ctx.reader.value(
                cr.metadata.namespace, spec.smtp.auth.password_secret_ref
            )
        try:
            actual = parents.admin.realms.get(spec.realm_name)
        except kc_errors.NotFound:
            return ObservedRealm(None, password)
        namespace = cr.metadata.namespace
        scope = RealmScope(
            parents.admin,
            spec.realm_name,
            owner_tag(cr),
            secret=lambda ref: self.ctx.reader.value(namespace, ref),
            salt=cr.metadata.uid or "",
        )
        sections = [section(scope, spec) for section in SECTIONS if section.managed(spec)]
        for section in sections:
            section.observe()
        return ObservedRealm(actual, password, sections)

    def plan(self, cr: KeycloakRealm, parents: KeycloakParent, observed: ObservedRealm) -> Plan:
        spec = cr.spec
        name = spec.realm_name
        admin = parents.admin
        owner = owner_of(cr)
        manage = not observing(cr)
        password = observed.smtp_password
        digest = smtp_password_digest(password, cr.metadata.uid) if password else None
        missing = admin.adapter.MISSING_FIELDS.get(Kind.REALM, {})
        desired = desired_realm(spec, owner.attributes() if manage else {}, digest, missing)
        plan = Plan()
        actual = observed.realm
        if actual is None:
            if manage:
                new = RealmRepresentation(realm=name)
                body = realm_update(desired, new, password, missing) or desired
                plan.add("realm", Verb.CREATE, lambda: admin.realms.create(body), reobserve=True)
            return plan
        if manage:
            claim(owner, f"realm {name!r}", actual.attributes, spec.adopt_existing)
        update = realm_update(desired, actual, password, missing)
        if update is not None:
            fields = sorted(update.model_dump(by_alias=True, exclude_none=True).keys() - {"realm"})
            plan.add(", ".join(fields), Verb.UPDATE, lambda: admin.realms.update(name, update))
        for section in observed.sections:
            plan.extend(section.plan())
        return plan

    def found(self, observed: ObservedRealm) -> bool:
        return observed.realm is not None

    def status(
        self, cr: KeycloakRealm, parents: KeycloakParent, observed: ObservedRealm
    ) -> KeycloakRealmStatus:
        realm = observed.realm
        return KeycloakRealmStatus(
            realm_id=realm.id if realm else None, keycloak_version=str(parents.admin.version)
        )

    def delete(self, cr: KeycloakRealm, parents: KeycloakParent) -> str:
        name = cr.spec.realm_name
        try:
            actual = parents.admin.realms.get(name)
        except kc_errors.NotFound:
            return ""
        if owner_of(cr).decide(actual.attributes) is not Ownership.OWNED:
            return f"realm {name} is not owned by this resource and was kept"
        with contextlib.suppress(kc_errors.NotFound):
            parents.admin.realms.delete(name)
        return f"realm {name} deleted from Keycloak"
