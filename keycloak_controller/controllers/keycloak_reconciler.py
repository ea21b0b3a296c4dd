"""Reconciles `Keycloak`: log in, detect the version, report health and adapter warnings.

observe (CR, credential Secrets) -> connect (shared client from the registry,
one /admin/serverinfo read) -> report (Ready, serverVersion, circuitBreaker,
AdapterWarnings). Re-checked every min(resync, health interval) so Ready tracks
the server. On delete the finalizer waits only while realms on this server are
being deleted themselves (so they can still clean up, keycloak-operator#446),
never for realms that stay.
"""

from __future__ import annotations

from dataclasses import dataclass

from keycloak_controller.api import Keycloak, KeycloakStatus
from keycloak_controller.keycloak.adapters import VersionAdapter, adapter_for
from keycloak_controller.keycloak.breaker import BreakerState
from keycloak_controller.keycloak.version import ServerVersion
from keycloak_controller.runtime.objects import KubeObject
from keycloak_controller.runtime.status import Condition

from . import reasons
from .kinds import KEYCLOAKS
from .kube import namespace_terminating
from .plan import Plan
from .reporting import Outcome
from .skeleton import KindReconciler

HEALTH_INTERVAL = 60.0
ADAPTER_WARNINGS = "AdapterWarnings"
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


@dataclass
class ObservedServer:
    version: ServerVersion
    adapter: VersionAdapter
    breaker: str


class KeycloakReconciler(KindReconciler[Keycloak, None, ObservedServer]):
    model = Keycloak
    noun = "Keycloak"

    doing = "connecting to Keycloak"

    def describe(self, cr: Keycloak) -> str:
        return f"Keycloak {cr.metadata.name}"

    def resolve(self, cr: Keycloak, *, cleanup: bool = False) -> None:
        return None

    def observe(self, cr: Keycloak, parents: None) -> ObservedServer:
        admin = self.ctx.admin(cr)
        version = admin.detect_version()
        return ObservedServer(version, adapter_for(version), _BREAKER[admin.breaker_state])

    def plan(self, cr: Keycloak, parents: None, observed: ObservedServer) -> Plan:
        return Plan()  # the external Keycloak is only connected to, never changed

    def ready(self, cr: Keycloak, observed: ObservedServer) -> Outcome:
        return Outcome(True, reasons.CONNECTED, f"Connected to Keycloak {observed.version}")

    def status(self, cr: Keycloak, parents: None, observed: ObservedServer) -> KeycloakStatus:
        return KeycloakStatus(
            server_version=str(observed.version), circuit_breaker=observed.breaker
        )

    def failed_status(self, cr: Keycloak) -> KeycloakStatus | None:
        """After a failed connection the breaker state still tells what happened."""
        admin = self.ctx.connections.cached(cr)
        if admin is None:
            return None
        current = cr.status
        return KeycloakStatus(
            server_version=current.server_version, circuit_breaker=_BREAKER[admin.breaker_state]
        )

    def conditions(self, cr: Keycloak, parents: None, observed: ObservedServer) -> list[Condition]:
        return [adapter_condition(observed.adapter)]

    def resync_period(self) -> float:
        # Re-checked at least every HEALTH_INTERVAL, so Ready tracks the server.
        return min(self.ctx.timing.resync_period, HEALTH_INTERVAL)

    def cleanup(self, obj: KubeObject) -> tuple[bool, str]:
        realms = self.ctx.children_of(KEYCLOAKS, obj)
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
            return False, f"waiting for realms being deleted to clean up first: {names}"
        self.ctx.connections.forget(obj.key)
        return True, ""
