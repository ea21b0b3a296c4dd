"""Reconciles `Keycloak`: log in, detect the version, report health and adapter warnings.

observe (CR, credential Secrets) -> connect (shared client from the registry,
one /admin/serverinfo read) -> report (Ready, serverVersion, circuitBreaker,
AdapterWarnings). Re-checked every min(resync, health interval) so Ready tracks
the server.

Managed mode first runs the workload (managed_workload.py): apply the rendered
objects, read the StatefulSet's rollout, and connect only once the rollout is
complete, so Ready means "rolled out and the Admin API answers". A version
change recreates (Reconciling, reason Upgrading); a spec that cannot
work (a missing database Secret) is Stalled with the reason.

On delete the finalizer waits only while realms on this server are being
deleted themselves (so they can still clean up, keycloak-operator#446),
never for realms that stay.
"""

from __future__ import annotations

from dataclasses import dataclass

from keycloak_controller.api import Keycloak, KeycloakStatus
from keycloak_controller.api.common import DeletionPolicy
from keycloak_controller.api.keycloak import ManagedStatus
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.keycloak.adapters import VersionAdapter, adapter_for
from keycloak_controller.keycloak.breaker import BreakerState
from keycloak_controller.keycloak.version import ServerVersion
from keycloak_controller.runtime.objects import KubeObject
from keycloak_controller.runtime.status import Condition

from . import managed_render, reasons
from .kinds import KEYCLOAKS
from .kube import namespace_terminating
from .managed_workload import (
    ROLLING_OUT,
    SCALED_TO_ZERO,
    UPGRADING,
    ManagedWorkload,
    Rollout,
    Workload,
)
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
    version: ServerVersion | None
    adapter: VersionAdapter | None
    breaker: str
    # Managed mode: the workload, and why the Admin API was not (yet) reached.
    workload: Workload | None = None
    rollout: Rollout | None = None
    waiting: Outcome | None = None


class KeycloakReconciler(KindReconciler[Keycloak, None, ObservedServer]):
    model = Keycloak
    noun = "Keycloak"

    doing = "connecting to Keycloak"

    def describe(self, cr: Keycloak) -> str:
        return f"Keycloak {cr.metadata.name}"

    def resolve(self, cr: Keycloak, *, cleanup: bool = False) -> None:
        return None

    @property
    def workloads(self) -> ManagedWorkload:
        return ManagedWorkload(self.ctx.api, self.ctx.reader)

    def observe(self, cr: Keycloak, parents: None) -> ObservedServer:
        if cr.spec.managed is not None:
            return ObservedServer(None, None, "", workload=self.workloads.observe(cr))
        return self.connect(cr)

    def connect(self, cr: Keycloak) -> ObservedServer:
        admin = self.ctx.admin(cr)
        version = admin.detect_version()
        return ObservedServer(version, adapter_for(version), _BREAKER[admin.breaker_state])

    def plan(self, cr: Keycloak, parents: None, observed: ObservedServer) -> Plan:
        if observed.workload is not None:
            return self.workloads.plan(cr, self._uid(cr), observed.workload)
        return Plan()  # the external Keycloak is only connected to, never changed

    def converge(self, obj: KubeObject, cr: Keycloak, parents: None) -> tuple[ObservedServer, Plan]:
        observed, plan = super().converge(obj, cr, parents)
        if observed.workload is None:
            return observed, plan
        return self._after_apply(cr, observed.workload), plan

    def _after_apply(self, cr: Keycloak, workload: Workload) -> ObservedServer:
        """The rollout as it is after the apply; the Admin API once it is complete."""
        rollout = self.workloads.read_rollout(cr)
        waiting = managed_waiting(workload, rollout)
        if waiting is not None:
            return ObservedServer(None, None, "", workload, rollout, waiting)
        try:
            connected = self.connect(cr)
        except reasons.Problem as problem:
            return ObservedServer(None, None, "", workload, rollout, Outcome.from_problem(problem))
        except kc_errors.KeycloakError as error:
            found = reasons.problem_from_keycloak(error, "rolled out; reaching the Admin API")
            return ObservedServer(None, None, "", workload, rollout, Outcome.from_problem(found))
        connected.workload, connected.rollout = workload, rollout
        return connected

    def ready(self, cr: Keycloak, observed: ObservedServer) -> Outcome:
        if observed.waiting is not None:
            return observed.waiting
        return Outcome(True, reasons.CONNECTED, f"Connected to Keycloak {observed.version}")

    def status(self, cr: Keycloak, parents: None, observed: ObservedServer) -> KeycloakStatus:
        managed = None
        if observed.workload is not None:
            managed = managed_status(cr, observed.workload, observed.rollout)
        return KeycloakStatus(
            server_version=str(observed.version) if observed.version else None,
            circuit_breaker=observed.breaker or None,
            managed=managed,
        )

    def _uid(self, cr: Keycloak) -> str:
        return cr.metadata.uid

    def failed_status(self, cr: Keycloak) -> KeycloakStatus | None:
        """After a failed connection the breaker state still tells what happened."""
        admin = self.ctx.connections.cached(cr)
        if admin is None:
            return None
        current = cr.status
        return KeycloakStatus(
            server_version=current.server_version,
            circuit_breaker=_BREAKER[admin.breaker_state],
            managed=current.managed,
        )

    def conditions(self, cr: Keycloak, parents: None, observed: ObservedServer) -> list[Condition]:
        if observed.adapter is None:
            return []
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
        managed = (obj.get("spec") or {}).get("managed")
        if managed is not None and managed.get("deletionPolicy") == DeletionPolicy.RETAIN:
            kept = self.workloads.orphan(obj.namespace, obj.name, obj.uid)
            return True, "deletionPolicy Retain: kept " + (", ".join(kept) or "nothing")
        return True, ""


def managed_waiting(workload: Workload, rollout: Rollout) -> Outcome | None:
    """Why a managed Keycloak is not Ready yet (None: rolled out, connect now)."""
    if workload.upgrading_from is not None:
        return Outcome(
            False,
            UPGRADING,
            f"version change {workload.upgrading_from} -> {workload.inputs.version}: "
            f"recreating, no mixed-version cluster; {rollout.current} old pod(s) still "
            "running, the new version starts when none is left",
        )
    if workload.desired_replicas == 0:
        return Outcome(False, SCALED_TO_ZERO, "spec.managed.replicas is 0: no Keycloak runs")
    if not rollout.complete:
        return Outcome(
            False,
            ROLLING_OUT,
            f"rolling out Keycloak {workload.inputs.version}: {rollout.ready}/{rollout.replicas} "
            f"ready, {rollout.updated}/{rollout.replicas} updated",
        )
    return None


def managed_status(cr: Keycloak, workload: Workload, rollout: Rollout | None) -> ManagedStatus:
    managed = cr.spec.managed
    assert managed is not None
    upgrade = None
    if workload.upgrading_from is not None:
        upgrade = f"recreating: {workload.upgrading_from} -> {workload.inputs.version}"
    return ManagedStatus(
        replicas=workload.desired_replicas,
        ready_replicas=rollout.ready if rollout else None,
        updated_replicas=rollout.updated if rollout else None,
        version=str(workload.inputs.version),
        image=managed.image,
        internal_url=managed_render.internal_url(cr),
        external_url=managed_render.external_url(cr),
        database=workload.inputs.database.describe(),
        admin_secret=workload.inputs.admin_secret,
        upgrade=upgrade,
    )
