"""The one reconcile skeleton every kind runs on.

    get from the cache -> deleting? finalize -> finalizer -> parse -> resolve parents
      -> observe -> plan -> apply (Manage) or compare only (Observe) -> report

A kind subclasses `KindReconciler` and supplies only:
- `resolve(cr)`: its parents, which must exist and be reachable (not perfect);
- `observe(cr, parents)`: what Keycloak has (reads only);
- `plan(cr, parents, observed)`: the changes, as a `Plan` (no writes);
- `status(cr, parents, observed)`: its typed status fields;
- `delete(cr, parents)`: delete what it owns in Keycloak (the finalizer step).

Outcomes (reporting.py): Ready=True, or Ready=False with Reconciling or
Stalled, with an Event on each transition. Failures go back to the work queue's
per-item rate limiter (`Result(requeue=True)`), capped short for an object that
waits for something else (`Timing.max_delay`); an object that cannot be
parsed is a terminal error, retried only when it changes. In Observe mode the
skeleton runs no change that writes to Keycloak and reports the differing
paths in the InSync condition; in Manage mode corrected drift (changes needed
although the object was Ready at this generation) is named in an Event and
counted.
"""

from __future__ import annotations

import abc
from typing import ClassVar, Generic, TypeVar

from prometheus_client import Counter

from keycloak_controller.api.base import StatusModel
from keycloak_controller.api.common import (
    CustomResource,
    DeletionPolicy,
    ManagedObjectSpec,
    ManagementPolicy,
)
from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.runtime import audit
from keycloak_controller.runtime.objects import KubeObject, ResourceKind
from keycloak_controller.runtime.reconcile import Request, Result, TerminalError
from keycloak_controller.runtime.status import Condition, StatusWriter, conditions_of

from . import reasons
from .context import Context
from .finalizer import ensure_finalizer, has_finalizer, remove_finalizer
from .kinds import resource_kind
from .kube import parse
from .ownership import Owner
from .plan import Plan, Target, summarize
from .reasons import Problem, SpecError
from .reporting import IN_SYNC, READY, Outcome, Reporter, jittered

CR = TypeVar("CR", bound=CustomResource)
P = TypeVar("P")  # the resolved parents
O = TypeVar("O")  # what observe read  # noqa: E741

# A create is followed by one more observe -> plan -> apply for what hangs off
# the new object; more passes than this mean a plan that never converges.
MAX_PASSES = 3

DRIFT_CORRECTED = Counter(
    "keycloak_controller_drift_corrections_total",
    "Changes made in Keycloak to undo drift from a spec that was already in sync.",
    ["kind"],
)


def spec_of(cr: CustomResource) -> ManagedObjectSpec | None:
    spec = getattr(cr, "spec", None)
    return spec if isinstance(spec, ManagedObjectSpec) else None


def observing(cr: CustomResource) -> bool:
    spec = spec_of(cr)
    return spec is not None and spec.management_policy is ManagementPolicy.OBSERVE


def owner_of(cr: CustomResource) -> Owner:
    meta = cr.metadata
    return Owner(cr.names.kind, meta.namespace, meta.name, meta.uid)


class KindReconciler(abc.ABC, Generic[CR, P, O]):
    model: ClassVar[type[CustomResource]]
    # What the kind calls its Keycloak object in messages ("realm", "client").
    noun: ClassVar[str]

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.kind: ResourceKind = resource_kind(self.model)
        self.reporter = Reporter(StatusWriter(ctx.api, self.kind), ctx.events)

    # --- what a kind supplies ---------------------------------------------------------

    @abc.abstractmethod
    def resolve(self, cr: CR, *, cleanup: bool = False) -> P:
        """The parents; raise Problem when one is missing, unreachable or not granted."""

    @abc.abstractmethod
    def observe(self, cr: CR, parents: P) -> O: ...

    @abc.abstractmethod
    def plan(self, cr: CR, parents: P, observed: O) -> Plan: ...

    @abc.abstractmethod
    def status(self, cr: CR, parents: P, observed: O) -> StatusModel:
        """The kind's own status fields (None: absent); conditions are the skeleton's."""

    def delete(self, cr: CR, parents: P) -> str:
        """Delete what this resource owns in Keycloak; the message says what happened."""
        return ""

    def describe(self, cr: CR) -> str:
        """`Realm demo`: how messages name the Keycloak object."""
        return f"{self.noun.capitalize()} {cr.metadata.name}"

    def conditions(self, cr: CR, parents: P, observed: O) -> list[Condition]:
        """Extra conditions beside Ready (the Keycloak kind's AdapterWarnings)."""
        return []

    def found(self, observed: O) -> bool:
        """Whether the kind's own Keycloak object exists (Observe reports it missing)."""
        return True

    def ready(self, cr: CR, observed: O) -> Outcome:
        return Outcome(True, reasons.SUCCEEDED, f"{self.describe(cr)} is in sync")

    @property
    def doing(self) -> str:
        """What a reconcile does, for the messages of Keycloak errors."""
        return f"syncing the {self.noun}"

    def failed_status(self, cr: CR) -> StatusModel | None:
        """Status fields worth writing after a failure (None: keep what is there)."""
        return None

    def resync_period(self) -> float:
        return self.ctx.timing.resync_period

    # --- the skeleton -----------------------------------------------------------------

    def reconcile(self, request: Request) -> Result:
        obj = self.ctx.informer(self.kind).get(request.namespace, request.name)
        if obj is None:
            return Result()
        if obj.deletion_timestamp:
            return self.finalize(obj)
        obj = ensure_finalizer(self.ctx.api, self.kind, obj)
        status: StatusModel | None = None
        extra: list[Condition] = []
        remove = [IN_SYNC]
        try:
            cr: CR = parse(self.model, obj)  # type: ignore[assignment]
        except SpecError as error:
            self.reporter.report(obj, Outcome.from_problem(error))
            raise TerminalError(error.message) from None
        try:
            parents = self.resolve(cr)
            observed, plan = self.converge(obj, cr, parents)
            status = self.status(cr, parents, observed)
            extra = self.conditions(cr, parents, observed)
            outcome = self.ready(cr, observed)
            if observing(cr):
                extra.append(in_sync_condition(plan))
                remove = []
                if not self.found(observed):
                    outcome = Outcome(
                        False,
                        reasons.NOT_FOUND_IN_KEYCLOAK,
                        f"managementPolicy Observe: {self.describe(cr)} does not exist in Keycloak",
                        waiting=True,
                    )
                elif outcome.ready:
                    outcome = Outcome(
                        True,
                        reasons.OBSERVED,
                        f"{self.describe(cr)} observed (managementPolicy Observe: nothing is "
                        "written to Keycloak); see the InSync condition",
                    )
        except Problem as problem:
            outcome = Outcome.from_problem(problem)
            status = self.failed_status(cr)
        except kc_errors.KeycloakError as error:
            outcome = Outcome.from_problem(reasons.problem_from_keycloak(error, self.doing))
            status = self.failed_status(cr)
        self.reporter.report(obj, outcome, status, extra, remove)
        if outcome.ready:
            return Result(requeue_after=jittered(self.resync_period()))
        return Result(requeue=True, max_delay=self.ctx.timing.max_delay(outcome))

    def converge(self, obj: KubeObject, cr: CR, parents: P) -> tuple[O, Plan]:
        """Observe, plan, apply; again after a create. Returns the last observation and,
        in Observe mode, the plan that was not applied."""
        observed = self.observe(cr, parents)
        plan = self.plan(cr, parents, observed)
        if observing(cr):
            for change in plan.on(Target.KUBERNETES):
                change.run()
            if plan.failure is not None:
                raise plan.failure
            return observed, plan
        corrected: list[str] = []
        for _ in range(MAX_PASSES):
            for change in plan:
                with audit.about(self.audit_subject(obj, change.path, change.verb)):
                    change.run()
            corrected.extend(plan.paths(Target.KEYCLOAK))
            if not plan.reobserve:
                break
            observed = self.observe(cr, parents)
            plan = self.plan(cr, parents, observed)
        if corrected and was_in_sync(obj):
            DRIFT_CORRECTED.labels(kind=self.kind.kind).inc(len(corrected))
            self.ctx.events.event(
                obj,
                "Normal",
                "DriftCorrected",
                f"{self.describe(cr)} differed in Keycloak; corrected {len(corrected)}: "
                + summarize(corrected),
            )
        if plan.failure is not None:
            # After what was planned before it, through every pass (Plan.failure).
            raise plan.failure
        return observed, Plan()

    # --- deletion ---------------------------------------------------------------------

    def finalize(self, obj: KubeObject) -> Result:
        if not has_finalizer(obj):
            return Result()
        try:
            done, why = self.cleanup(obj)
        except Problem as problem:
            done, why = False, problem.message
        except kc_errors.KeycloakError as error:
            done, why = False, f"deleting the {self.noun}: {error}. Retrying with backoff."
        if not done:
            outcome = Outcome(False, reasons.DELETION_BLOCKED, why, waiting=True)
            self.reporter.report(obj, outcome)
            return Result(requeue=True, max_delay=self.ctx.timing.max_delay(outcome))
        if why:
            self.ctx.events.event(obj, "Normal", "Finalized", why)
        remove_finalizer(self.ctx.api, self.kind, obj)
        return Result()

    def cleanup(self, obj: KubeObject) -> tuple[bool, str]:
        """(done, message). Waits for children being deleted; never wedges on a missing
        parent, object or Secret."""
        leaving = [c for c in self.ctx.children_of(self.kind, obj) if c.deletion_timestamp]
        if leaving:
            names = ", ".join(sorted(c.key for c in leaving)[:5])
            return False, f"waiting for resources being deleted to clean up first: {names}"
        try:
            cr: CR = parse(self.model, obj)  # type: ignore[assignment]
        except Problem:
            return True, "the object is invalid; nothing was deleted in Keycloak"
        spec = spec_of(cr)
        if spec is not None and spec.deletion_policy is DeletionPolicy.RETAIN:
            return True, f"deletionPolicy Retain: {self.describe(cr)} was kept"
        if observing(cr):
            return True, f"managementPolicy Observe: {self.describe(cr)} was kept"
        try:
            parents = self.resolve(cr, cleanup=True)
        except Problem as problem:
            return True, f"{problem.message}; nothing was deleted in Keycloak"
        with audit.about(self.audit_subject(obj, None, "delete")):
            return True, self.delete(cr, parents)

    def audit_subject(self, obj: KubeObject, change: str | None, verb: str) -> audit.Subject:
        """What the audit record of a Keycloak write names (runtime/audit.py)."""
        return audit.Subject(self.kind.kind, obj.namespace, obj.name, change, verb)


def was_in_sync(obj: KubeObject) -> bool:
    """Ready=True for the current generation: changes needed now are drift."""
    ready = next((c for c in conditions_of(obj) if c.type == READY), None)
    return (
        ready is not None and ready.status == "True" and ready.observed_generation == obj.generation
    )


def in_sync_condition(plan: Plan) -> Condition:
    paths = plan.paths(Target.KEYCLOAK)
    if not paths:
        return Condition(IN_SYNC, "True", "InSync", "Keycloak matches the spec")
    return Condition(
        IN_SYNC,
        "False",
        "Drifted",
        f"{len(paths)} differ from the spec (Observe: nothing was written): " + summarize(paths),
    )
