"""The credentials Secret's rotation and metadata: when to regenerate the client secret,
what the Secret records about it, and the one change that rotates.

The Secret records, in annotations the controller owns (they never churn status):
- `secret-created`: Keycloak's `client.secret.creation.time` of the value it holds;
- `rotate-secret-handled`: the last value of the KeycloakClient's rotate annotation
  that was acted on.

Atomicity: the rotation regenerates in Keycloak and writes the Secret in one change.
If that Secret write fails, Keycloak's secret is newer than the one the Secret
records; the next reconcile sees that and writes Keycloak's current value (read
back, never generated a second time), which also settles the pending request.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from keycloak_controller.api.client import CredentialsSecret
from keycloak_controller.api.client_credentials import (
    ROTATE_ANNOTATION,
    CredentialsStatus,
    period_seconds,
)
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.models import ClientRepresentation
from keycloak_controller.keycloak.secrets import Secret
from keycloak_controller.runtime.kubeapi import ApiException
from keycloak_controller.runtime.objects import KubeObject
from keycloak_controller.runtime.reconcile import Request, Result

from .reasons import Problem

CREATED_ANNOTATION = "keycloak-controller.dev/secret-created"
HANDLED_ANNOTATION = "keycloak-controller.dev/rotate-secret-handled"
# Client attributes Keycloak keeps about its secret (epoch seconds). The rotated-*
# ones exist only under a client policy with the secret-rotation executor.
KC_CREATION_TIME = "client.secret.creation.time"
KC_ROTATED_EXPIRATION_TIME = "client.secret.rotated.expiration.time"

SECRET_WRITE_FAILED = "SecretWriteFailed"  # noqa: S105 - a reason, not a secret
REQUESTED = "requested"
SCHEDULED = "scheduled"


def _epoch(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def rfc3339(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    moment = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    return moment.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class KeycloakSecretTimes:
    """What Keycloak says about the client's secret (times only)."""

    created: int | None = None
    previous_expires: int | None = None

    @classmethod
    def of(cls, client: ClientRepresentation | None) -> KeycloakSecretTimes:
        attributes = (client.attributes if client else None) or {}
        return cls(
            created=_epoch(attributes.get(KC_CREATION_TIME)),
            previous_expires=_epoch(attributes.get(KC_ROTATED_EXPIRATION_TIME)),
        )


@dataclass(frozen=True)
class SecretRecord:
    """What the credentials Secret records (None: no Secret yet)."""

    created: int | None = None
    handled: str | None = None

    @classmethod
    def of(cls, secret: KubeObject | None) -> SecretRecord | None:
        if secret is None:
            return None
        notes = secret.annotations
        return cls(
            created=_epoch(notes.get(CREATED_ANNOTATION)), handled=notes.get(HANDLED_ANNOTATION)
        )


@dataclass(frozen=True)
class RotationPlan:
    """`reason` set: rotate now. `annotations`: the Secret's records otherwise."""

    reason: str | None
    annotations: dict[str, str]
    next_due: int | None = None


def plan_rotation(
    config: CredentialsSecret | None,
    requested: str | None,
    record: SecretRecord | None,
    keycloak: KeycloakSecretTimes,
    now: float,
    *,
    generated: bool,
) -> RotationPlan:
    """Whether to rotate the client secret now (pure).

    `generated`: the client has a secret Keycloak generates (not bring-your-own,
    not a public/bearer-only/JWT-signing client): nothing else is ever rotated.
    """
    if not generated:
        return RotationPlan(None, {})
    notes: dict[str, str] = {}
    if keycloak.created is not None:
        notes[CREATED_ANNOTATION] = str(keycloak.created)
    if record is None:
        # The first Secret: a request already there when it is written is settled by it.
        if requested is not None:
            notes[HANDLED_ANNOTATION] = requested
        return RotationPlan(None, notes, _due(config, keycloak.created))
    newer_in_keycloak = (
        keycloak.created is not None
        and record.created is not None
        and keycloak.created > record.created
    )
    handled = record.handled
    if newer_in_keycloak:
        # Rotated since the Secret was written (our rotation whose Secret write failed,
        # or Keycloak's own executor): take Keycloak's value, which settles a request.
        handled = requested if requested is not None else handled
    if handled is not None:
        notes[HANDLED_ANNOTATION] = handled
    due = _due(config, keycloak.created if keycloak.created is not None else record.created)
    if newer_in_keycloak:
        return RotationPlan(None, notes, due)
    if requested is not None and requested != record.handled:
        return RotationPlan(REQUESTED, notes, due)
    if due is not None and now >= due:
        return RotationPlan(SCHEDULED, notes, due)
    return RotationPlan(None, notes, due)


def _due(config: CredentialsSecret | None, created: int | None) -> int | None:
    period = config.rotation.period if config and config.rotation else None
    if period is None or created is None:
        return None
    return created + period_seconds(period)


def requested_rotation(annotations: Mapping[str, str]) -> str | None:
    value = annotations.get(ROTATE_ANNOTATION)
    return value if value else None


def secret_metadata(
    config: CredentialsSecret | None, records: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """The Secret's labels and annotations: the user's, then the controller's records."""
    labels = dict((config.labels if config else None) or {})
    annotations = {**((config.annotations if config else None) or {}), **records}
    return labels, annotations


def metadata_matches(
    secret: KubeObject | None, labels: Mapping[str, str], annotations: Mapping[str, str]
) -> bool:
    """Whether the Secret carries exactly these (the controller's label aside)."""
    if secret is None:
        return False
    have = {k: v for k, v in secret.labels.items() if k != "app.kubernetes.io/managed-by"}
    return have == dict(labels) and dict(secret.annotations) == dict(annotations)


def rotate(
    admin: KeycloakAdmin,
    realm: str,
    uuid: str,
    forget: Callable[[], None],
    write: Callable[[Secret, dict[str, str]], None],
    records: Mapping[str, str],
    requested: str | None,
) -> ClientRepresentation:
    """Regenerate in Keycloak, read back what it now has, write the Secret; returns the
    client as read back (what status reports)."""
    forget()
    admin.clients.regenerate_secret(realm, uuid)
    forget()
    client = admin.clients.get(realm, uuid)
    notes = dict(records)
    created = KeycloakSecretTimes.of(client).created
    if created is not None:
        notes[CREATED_ANNOTATION] = str(created)
    if requested is not None:
        notes[HANDLED_ANNOTATION] = requested
    try:
        write(Secret(client.secret or ""), notes)
    except ApiException as error:
        raise Problem(
            SECRET_WRITE_FAILED,
            f"Keycloak rotated the client secret, but writing the credentials Secret failed "
            f"(HTTP {error.status}); retrying: the next reconcile writes Keycloak's current "
            "secret (it does not rotate again). An immutable Secret must be deleted.",
        ) from None
    return client


def rescheduled(config: CredentialsSecret | None, client: ClientRepresentation) -> RotationPlan:
    """The plan after a rotation: nothing to do, the next one a period from now."""
    return RotationPlan(None, {}, _due(config, KeycloakSecretTimes.of(client).created))


def credentials_status(
    plan: RotationPlan, keycloak: KeycloakSecretTimes, *, generated: bool
) -> CredentialsStatus | None:
    if not generated:
        return None
    return CredentialsStatus(
        last_rotation_time=rfc3339(keycloak.created),
        next_rotation_time=rfc3339(plan.next_due),
        previous_secret_expiry_time=rfc3339(keycloak.previous_expires),
    )


class RotationClock:
    """When each client's scheduled rotation is due, so its reconcile comes back then
    rather than at the next resync."""

    def __init__(self) -> None:
        self._due: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def set(self, namespace: str, name: str, due: int | None) -> None:
        with self._lock:
            if due is None:
                self._due.pop((namespace, name), None)
            else:
                self._due[(namespace, name)] = due

    def shorten(self, request: Request, result: Result, now: float) -> Result:
        with self._lock:
            due = self._due.get((request.namespace, request.name))
        if due is None or result.requeue or result.requeue_after <= 0:
            return result
        wait = max(1.0, due - now + 1.0)
        if wait >= result.requeue_after:
            return result
        return Result(requeue_after=wait)
