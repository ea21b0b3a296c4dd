"""Condition reasons (CamelCase) and the exception that carries one out of a reconcile."""

from __future__ import annotations

from keycloak_controller.keycloak import errors as kc_errors

# Ready=True
SUCCEEDED = "Succeeded"
CONNECTED = "Connected"
OBSERVED = "Observed"  # managementPolicy Observe: read, compared, never written
# Ready=False, Reconciling=True: the controller keeps trying by itself.
PROGRESSING = "Progressing"
DEPENDENCY_NOT_READY = "DependencyNotReady"
KEYCLOAK_UNAVAILABLE = "KeycloakUnavailable"
DELETION_BLOCKED = "DeletionBlocked"
# Observe mode: the object to observe is not in Keycloak (yet).
NOT_FOUND_IN_KEYCLOAK = "NotFoundInKeycloak"
# Ready=False, Stalled=True: a person has to change something.
OWNERSHIP_CONFLICT = "OwnershipConflict"
INVALID_SPEC = "InvalidSpec"
KEYCLOAK_REJECTED = "KeycloakRejected"
SECRET_NOT_FOUND = "SecretNotFound"  # noqa: S105 - a reason, not a secret
NOT_GRANTED = "NotGranted"
INCOMPATIBLE_VERSION = "IncompatibleVersion"
AUTHENTICATION_FAILED = "AuthenticationFailed"

STALLED_REASONS = frozenset(
    {
        OWNERSHIP_CONFLICT,
        INVALID_SPEC,
        KEYCLOAK_REJECTED,
        SECRET_NOT_FOUND,
        NOT_GRANTED,
        INCOMPATIBLE_VERSION,
        AUTHENTICATION_FAILED,
    }
)

# Ready=False reasons that mean "waiting for something else" (a parent, a child
# being deleted, an object someone else creates): retried at a short, bounded
# interval (Timing.wait_retry_cap), since what they wait for may appear any moment.
WAITING_REASONS = frozenset(
    {PROGRESSING, DEPENDENCY_NOT_READY, DELETION_BLOCKED, NOT_FOUND_IN_KEYCLOAK}
)


class Problem(Exception):
    """Why an object cannot be made Ready right now: a reason and an actionable message.

    The message ends up in status and Events, so it must never carry a secret value.
    `waiting` (default: the reason is one of WAITING_REASONS) asks for the short
    retry interval; a reference to an object that does not exist yet (a user, group,
    role, client or scope named in the spec) keeps its reason (InvalidSpec: it may be
    a typo) but waits, so it resolves soon after the object is created.
    """

    def __init__(self, reason: str, message: str, *, waiting: bool | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.waiting = reason in WAITING_REASONS if waiting is None else waiting

    @property
    def stalled(self) -> bool:
        return self.reason in STALLED_REASONS


class SpecError(Problem):
    """A spec that can never work as written (it does not parse): retrying cannot fix
    it, only an edit can, and an edit is a new event. The skeleton reports it and
    raises the runtime's TerminalError."""

    def __init__(self, message: str) -> None:
        super().__init__(INVALID_SPEC, message)


def unresolved(message: str) -> Problem:
    """A spec names an object that does not exist (yet): InvalidSpec, retried soon."""
    return Problem(INVALID_SPEC, message, waiting=True)


def problem_from_keycloak(error: kc_errors.KeycloakError, doing: str) -> Problem:
    """Map a Keycloak client error to a reason; `doing` says what was attempted."""
    text = f"{doing}: {error}"
    if isinstance(error, kc_errors.AuthenticationFailed):
        return Problem(
            AUTHENTICATION_FAILED,
            f"{text}. Check the admin credentials Secret of the Keycloak object.",
        )
    if isinstance(error, kc_errors.Unavailable | kc_errors.ServerError | kc_errors.RateLimited):
        return Problem(KEYCLOAK_UNAVAILABLE, f"{text}. Retrying with backoff.")
    if isinstance(error, kc_errors.UnsupportedByVersion):
        return Problem(INCOMPATIBLE_VERSION, text)
    if isinstance(error, kc_errors.Forbidden | kc_errors.Unauthorized):
        return Problem(
            KEYCLOAK_REJECTED, f"{text}. The admin account lacks a permission this needs."
        )
    return Problem(KEYCLOAK_REJECTED, f"{text}. Fix the spec; retrying with backoff.")
