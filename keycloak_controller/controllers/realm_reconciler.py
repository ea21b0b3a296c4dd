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
from collections.abc import Mapping
from dataclasses import dataclass, field

from keycloak_controller.api import KeycloakRealm, KeycloakRealmStatus
from keycloak_controller.api.realm import KeycloakRealmSpec
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.adapters import Kind
from keycloak_controller.keycloak.models import RealmRepresentation
from keycloak_controller.keycloak.secrets import Secret
from keycloak_controller.runtime.objects import object_key

from . import reasons
from .claims import earlier_claimant, refuse
from .kinds import REALMS
from .ownership import (
    Adoption,
    Claimant,
    Ownership,
    adopting,
    claim,
    current_adoption,
    stamp_only,
)
from .parents import KeycloakParent, keycloak_parent
from .plan import Plan, Verb
from .realm_plan import SMTP_PASSWORD_DIGEST, desired_realm, realm_update, smtp_password_digest
from .realm_section import RealmScope, RealmSection
from .realm_sections import SECTIONS
from .reasons import Problem
from .skeleton import KindReconciler, observing, owner_of


@dataclass
class ObservedRealm:
    realm: RealmRepresentation | None
    smtp_password: Secret | None = None
    sections: list[RealmSection] = field(default_factory=list)
    # Set by plan in Manage mode: the children adopted untagged (status.adopted).
    adoption: Adoption | None = None


def owner_tag(cr: KeycloakRealm) -> str:
    return f"KeycloakRealm/{cr.metadata.namespace}/{cr.metadata.name}"


SMTP_SECRET_PATH = "smtp.auth.passwordSecretRef"  # noqa: S105 - a field path (Adoption.taken)


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
            adopt=spec.adopt_existing and not observing(cr),
            adopted=cr.status.adopted or {},
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
        decision = Ownership.OWNED
        if manage:
            decision = claim(owner, f"realm {name!r}", actual.attributes, spec.adopt_existing)
            status = cr.status
            observed.adoption = Adoption(
                status.adopted or {}, spec.adopt_existing, status.adopted_digests or {}
            )
        if decision is Ownership.UNOWNED:
            refuse(REALMS, f"realm {name!r}", self._earlier_claimant(cr))
        update = realm_update(desired, actual, password, missing)
        if update is not None and observed.adoption is not None:
            needed = self._needed_unstamped(
                spec, actual, password, digest, missing, observed.adoption
            )
            if stamp_only(decision, needed):
                update = None  # adopted as it is: the stamp waits for the first real write
        if update is not None:
            fields = sorted(update.model_dump(by_alias=True, exclude_none=True).keys() - {"realm"})
            plan.add(", ".join(fields), Verb.UPDATE, lambda: admin.realms.update(name, update))
        # Every child set plans under the adoption record (childset.adopting): it
        # honours the record in status and, with adoptExisting, takes untagged children
        # over as they are. Observe mode plans without one and keeps the record.
        with adopting(observed.adoption):
            for section in observed.sections:
                try:
                    plan.extend(section.plan())
                except Problem as problem:
                    # The sections before it still apply; those after it may depend on it.
                    plan.failure = problem
                    break
        return plan

    @staticmethod
    def _needed_unstamped(
        spec: KeycloakRealmSpec,
        actual: RealmRepresentation,
        password: Secret | None,
        digest: str | None,
        missing: Mapping[str, str],
        adoption: Adoption | None = None,
    ) -> bool:
        """Whether an adopted realm needs a write besides the ownership stamp. With no
        SMTP password digest recorded in Keycloak (it masks the password), the realm is
        taken to hold the Secret's value (`Adoption.taken`) until the first write
        sends it and records the digest."""
        recorded = SMTP_PASSWORD_DIGEST in (actual.attributes or {})
        adoption = adoption or current_adoption() or Adoption()
        if not recorded and digest is not None and not adoption.taken(SMTP_SECRET_PATH, digest):
            return True  # the Secret changed since adoption took it: send it
        bare = desired_realm(spec, {}, digest if recorded else None, missing)
        return realm_update(bare, actual, password if recorded else None, missing) is not None

    def _earlier_claimant(self, cr: KeycloakRealm) -> Claimant | None:
        """Nothing is stamped at adoption: another KeycloakRealm for the same realm of
        the same Keycloak that claimed it first keeps it."""
        meta, ref = cr.metadata, cr.spec.keycloak_ref
        return earlier_claimant(
            self.ctx,
            REALMS,
            meta.namespace,
            meta.name,
            ("keycloak", object_key(ref.namespace_or(meta.namespace), ref.name)),
            lambda spec: spec.get("realmName"),
        )

    def found(self, observed: ObservedRealm) -> bool:
        return observed.realm is not None

    def status(
        self, cr: KeycloakRealm, parents: KeycloakParent, observed: ObservedRealm
    ) -> KeycloakRealmStatus:
        realm = observed.realm
        adoption = observed.adoption
        return KeycloakRealmStatus(
            realm_id=realm.id if realm else None,
            keycloak_version=str(parents.admin.version),
            adopted=adoption.record() if adoption is not None else cr.status.adopted,
            adopted_digests=(
                adoption.digest_record() if adoption is not None else cr.status.adopted_digests
            ),
        )

    def delete(self, cr: KeycloakRealm, parents: KeycloakParent) -> str:
        name = cr.spec.realm_name
        try:
            actual = parents.admin.realms.get(name)
        except kc_errors.NotFound:
            return ""
        decision = owner_of(cr).decide(actual.attributes)
        # Adopted and not written since (so not stamped): still this resource's, unless
        # another resource claimed it first.
        adopted = (
            decision is Ownership.UNOWNED
            and cr.spec.adopt_existing
            and self._earlier_claimant(cr) is None
        )
        if decision is not Ownership.OWNED and not adopted:
            return f"realm {name} is not owned by this resource and was kept"
        with contextlib.suppress(kc_errors.NotFound):
            parents.admin.realms.delete(name)
        return f"realm {name} deleted from Keycloak"
