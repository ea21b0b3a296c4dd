"""Reconciles `Keycloak`: log in, detect the version, report health and adapter warnings.

observe (CR, credential Secrets) -> connect (shared client from the registry,
one /admin/serverinfo read) -> report (Ready, serverVersion, circuitBreaker,
AdapterWarnings). Re-checked every min(resync, health interval) so Ready tracks
the server. On delete the finalizer waits only while realms on this server are
being deleted themselves (so they can still clean up, keycloak-operator#446),
never for realms that stay.
"""

from __future__ import annotations

from keycloak_controller.api import Keycloak
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.adapters import VersionAdapter, adapter_for
from keycloak_controller.keycloak.breaker import BreakerState
from keycloak_controller.runtime.logging import get_logger
from keycloak_controller.runtime.objects import KubeObject
from keycloak_controller.runtime.reconcile import Request, Result
from keycloak_controller.runtime.status import Condition, StatusWriter

from . import reasons
from .context import Context
from .finalizer import ensure_finalizer, has_finalizer, remove_finalizer
from .kinds import KEYCLOAKS
from .kube import namespace_terminating, parse
from .reasons import Problem
from .reporting import Outcome, Reporter, jittered, result_for

log = get_logger(__name__)

HEALTH_INTERVAL = 60.0
ADAPTER_WARNINGS = "AdapterWarnings"
REALMS_BY_KEYCLOAK = "keycloak"
_BREAKER = {
    BreakerState.CLOSED: "Closed",
    BreakerState.OPEN: "Open",
    BreakerState.HALF_OPEN: "HalfOpen",
}


def adapter_warnings(adapter: VersionAdapter) -> list[str]:
    """What this server version cannot do that the canonical model can (pure)."""
    warnings = []
    for kind, fields in adapter.MISSING_FIELDS.items():
        if fields:
            warnings.append(f"{kind.schema}: {', '.join(sorted(fields))} not sent")
    if not adapter.supports_organizations:
        warnings.append("organizations unavailable")
    elif adapter.organizations_preview:
        warnings.append("organizations need the preview feature")
    return warnings


def adapter_condition(adapter: VersionAdapter) -> Condition:
    warnings = adapter_warnings(adapter)
    if not warnings:
        return Condition(
            ADAPTER_WARNINGS, "False", "CanonicalVersion", "every managed field is supported"
        )
    return Condition(
        ADAPTER_WARNINGS,
        "True",
        "FieldsNotSupported",
        f"Keycloak {adapter.version} through {type(adapter).__name__}: " + "; ".join(warnings),
    )


class KeycloakReconciler:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.reporter = Reporter(StatusWriter(ctx.api, KEYCLOAKS), ctx.events)
        self.backoff = ctx.new_backoff()

    def reconcile(self, request: Request) -> Result:
        obj = self.ctx.keycloaks.get(request.namespace, request.name)
        if obj is None:
            return Result()
        if obj.deletion_timestamp:
            return self.finalize(obj)
        obj = ensure_finalizer(self.ctx.api, KEYCLOAKS, obj)
        extra: list[Condition] = []
        fields: dict[str, str | None] = {}
        try:
            keycloak = parse(Keycloak, obj)
            admin = self.ctx.admin(keycloak)
            try:
                version = admin.detect_version()
                adapter = adapter_for(version)
            finally:
                fields["circuitBreaker"] = _BREAKER[admin.breaker_state]
            fields["serverVersion"] = str(version)
            extra.append(adapter_condition(adapter))
            outcome = Outcome(True, reasons.CONNECTED, f"Connected to Keycloak {version}")
        except Problem as problem:
            outcome = Outcome.from_problem(problem)
        except kc_errors.KeycloakError as error:
            outcome = Outcome.from_problem(
                reasons.problem_from_keycloak(error, "connecting to Keycloak")
            )
        self.reporter.report(obj, outcome, fields, extra)
        if outcome.ready:
            self.backoff.reset(request.key)
            period = min(self.ctx.timing.resync_period, HEALTH_INTERVAL)
            return Result(requeue_after=jittered(period))
        return result_for(outcome, request.key, self.ctx.timing, self.backoff)

    def finalize(self, obj: KubeObject) -> Result:
        if not has_finalizer(obj):
            return Result()
        realms = self.ctx.realms.by_index(REALMS_BY_KEYCLOAK, obj.key)
        leaving = [r for r in realms if r.deletion_timestamp]
        # A namespace being deleted takes its realms too, in any order: wait for
        # them, so they can still delete what they made in Keycloak.
        staying_here = [
            r for r in realms if r.namespace == obj.namespace and not r.deletion_timestamp
        ]
        if staying_here and namespace_terminating(self.ctx.api, obj.namespace):
            leaving += staying_here
        if leaving:
            names = ", ".join(sorted(r.key for r in leaving)[:5])
            self.reporter.report(
                obj,
                Outcome(
                    False,
                    reasons.DELETION_BLOCKED,
                    f"waiting for realms being deleted to clean up first: {names}",
                ),
            )
            return Result(requeue_after=self.backoff.next_delay(obj.key))
        self.ctx.connections.forget(obj.key)
        remove_finalizer(self.ctx.api, KEYCLOAKS, obj)
        self.backoff.reset(obj.key)
        return Result()
