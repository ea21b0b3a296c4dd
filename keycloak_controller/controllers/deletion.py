"""The finalizer step shared by realms and clients: clean up, or wait and retry.

`cleanup` returns (done, message). Until it is done the object reports
DeletionBlocked and retries with its backoff; once done, the finalizer goes.
"""

from __future__ import annotations

from collections.abc import Callable

from keycloak_controller.keycloak import errors as kc_errors
from keycloak_controller.runtime.objects import KubeObject, ResourceKind
from keycloak_controller.runtime.reconcile import Result

from . import reasons
from .context import Context
from .finalizer import has_finalizer, remove_finalizer
from .reasons import Problem
from .reporting import Outcome, Reporter, RetryBackoff

Cleanup = Callable[[KubeObject], tuple[bool, str]]


def finalize(
    obj: KubeObject,
    kind: ResourceKind,
    what: str,
    cleanup: Cleanup,
    *,
    ctx: Context,
    reporter: Reporter,
    backoff: RetryBackoff,
) -> Result:
    if not has_finalizer(obj):
        return Result()
    try:
        done, why = cleanup(obj)
    except Problem as problem:
        done, why = False, problem.message
    except kc_errors.KeycloakError as error:
        done, why = False, f"deleting the {what}: {error}. Retrying with backoff."
    if not done:
        reporter.report(obj, Outcome(False, reasons.DELETION_BLOCKED, why))
        return Result(requeue_after=backoff.next_delay(obj.key))
    if why:
        ctx.events.event(obj, "Normal", "Finalized", why)
    remove_finalizer(ctx.api, kind, obj)
    backoff.reset(obj.key)
    return Result()
