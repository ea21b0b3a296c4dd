"""Reconciles `KeycloakRealm`: the realm's settings and realm roles.

observe: the CR, its Keycloak CR (must be Ready and must admit this
namespace), the SMTP password Secret, the realm in Keycloak (one GET) ->
diff: `realm_model.realm_update` and `roles.plan_roles` (pure) ->
act: create, or PUT only the differing fields, and the role changes ->
report: Ready, realmId, keycloakVersion.
"""

from __future__ import annotations

import contextlib
from typing import Any

from keycloak_controller.api import DeletionPolicy, KeycloakRealm
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.secrets import Secret
from keycloak_controller.runtime.objects import KubeObject
from keycloak_controller.runtime.reconcile import Request, Result
from keycloak_controller.runtime.status import StatusWriter

from . import reasons
from .context import Context
from .deletion import finalize
from .finalizer import ensure_finalizer
from .kinds import REALMS
from .kube import parse
from .ownership import Owner, Ownership, conflict_message
from .realm_model import desired_realm, realm_update, smtp_password_digest
from .reasons import Problem
from .reporting import Outcome, Reporter, result_for
from .roles import sync_roles

CLIENTS_BY_REALM = "realm"


def owner_of(obj: KubeObject) -> Owner:
    return Owner("KeycloakRealm", obj.namespace, obj.name, obj.uid)


class RealmReconciler:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.reporter = Reporter(StatusWriter(ctx.api, REALMS), ctx.events)
        self.backoff = ctx.new_backoff()

    def reconcile(self, request: Request) -> Result:
        obj = self.ctx.realms.get(request.namespace, request.name)
        if obj is None:
            return Result()
        if obj.deletion_timestamp:
            return self.finalize(obj)
        obj = ensure_finalizer(self.ctx.api, REALMS, obj)
        fields: dict[str, Any] = {}
        try:
            realm = parse(KeycloakRealm, obj)
            _, keycloak = self.ctx.keycloak_of(realm)
            if not keycloak.status.is_ready():
                raise Problem(
                    reasons.DEPENDENCY_NOT_READY,
                    f"Keycloak {keycloak.metadata.namespace}/{keycloak.metadata.name} is not "
                    "Ready; waiting for it",
                )
            admin = self.ctx.admin(keycloak)
            fields = self.sync(obj, realm, admin)
            outcome = Outcome(True, reasons.SUCCEEDED, f"Realm {realm.spec.realm_name} is in sync")
        except Problem as problem:
            outcome = Outcome.from_problem(problem)
        except kc_errors.KeycloakError as error:
            outcome = Outcome.from_problem(
                reasons.problem_from_keycloak(error, "syncing the realm")
            )
        self.reporter.report(obj, outcome, fields)
        return result_for(outcome, request.key, self.ctx.timing, self.backoff)

    def sync(self, obj: KubeObject, realm: KeycloakRealm, admin: KeycloakAdmin) -> dict[str, Any]:
        spec = realm.spec
        name = spec.realm_name
        owner = owner_of(obj)
        password: Secret | None = None
        if spec.smtp is not None and spec.smtp.auth is not None:
            password = self.ctx.reader.value(obj.namespace, spec.smtp.auth.password_secret_ref)
        digest = smtp_password_digest(password, obj.uid) if password is not None else None
        desired = desired_realm(spec, owner.attributes(), digest)
        try:
            actual = admin.realms.get(name)
        except kc_errors.NotFound:
            actual = None
        realm_id = realm.status.realm_id
        if actual is None:
            body = realm_update(desired, type(desired)(realm=name), password)
            admin.realms.create(body or desired)
        else:
            decision = owner.decide(actual.attributes)
            if decision is Ownership.FOREIGN or (
                decision is Ownership.UNOWNED and not spec.adopt_existing
            ):
                raise Problem(
                    reasons.OWNERSHIP_CONFLICT,
                    conflict_message(owner, f"realm {name!r}", decision, actual.attributes),
                )
            update = realm_update(desired, actual, password)
            if update is not None:
                admin.realms.update(name, update)
            realm_id = actual.id
        if spec.roles is not None:
            sync_roles(admin, name, spec.roles, f"KeycloakRealm/{obj.namespace}/{obj.name}")
        return {"realmId": realm_id, "keycloakVersion": str(admin.version)}

    # --- deletion ---------------------------------------------------------------------

    def finalize(self, obj: KubeObject) -> Result:
        return finalize(
            obj,
            REALMS,
            "realm",
            self.cleanup,
            ctx=self.ctx,
            reporter=self.reporter,
            backoff=self.backoff,
        )

    def cleanup(self, obj: KubeObject) -> tuple[bool, str]:
        """(done, message). Never wedges on a missing parent, object or Secret."""
        leaving = [
            c for c in self.ctx.clients.by_index(CLIENTS_BY_REALM, obj.key) if c.deletion_timestamp
        ]
        if leaving:
            names = ", ".join(sorted(c.key for c in leaving)[:5])
            return False, f"waiting for clients being deleted to clean up first: {names}"
        try:
            realm = parse(KeycloakRealm, obj)
        except Problem:
            return True, "the object is invalid; nothing was deleted in Keycloak"
        if realm.spec.deletion_policy is DeletionPolicy.RETAIN:
            return True, f"deletionPolicy Retain: realm {realm.spec.realm_name} was kept"
        try:
            _, keycloak = self.ctx.keycloak_of(realm)
        except Problem as problem:
            return True, f"{problem.message}; nothing was deleted in Keycloak"
        admin = self.ctx.admin_for_cleanup(keycloak)
        if admin is None:
            return True, "the Keycloak credentials are gone; nothing was deleted in Keycloak"
        name = realm.spec.realm_name
        try:
            actual = admin.realms.get(name)
        except kc_errors.NotFound:
            return True, ""
        if owner_of(obj).decide(actual.attributes) is not Ownership.OWNED:
            return True, f"realm {name} is not owned by this resource and was kept"
        with contextlib.suppress(kc_errors.NotFound):
            admin.realms.delete(name)
        return True, f"realm {name} deleted from Keycloak"
