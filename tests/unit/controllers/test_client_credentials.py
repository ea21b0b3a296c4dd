"""The rotation decision of the credentials Secret (pure): when to regenerate, and how a
Secret write that failed after Keycloak rotated is repaired without a second rotation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from keycloak_controller.api.client import CredentialsSecret, KeycloakClientSpec
from keycloak_controller.api.client_credentials import period_seconds
from keycloak_controller.controllers import client_credentials as cc
from keycloak_controller.controllers.client_plan import credentials_data
from keycloak_controller.keycloak.models import ClientRepresentation
from keycloak_controller.keycloak.secrets import Secret
from keycloak_controller.runtime.objects import KubeObject
from keycloak_controller.runtime.reconcile import Request, Result

HOURLY = CredentialsSecret.model_validate({"rotation": {"period": "1h"}})
T0 = 1_800_000_000


def times(created: int | None, previous: int | None = None) -> cc.KeycloakSecretTimes:
    return cc.KeycloakSecretTimes(created=created, previous_expires=previous)


def test_period_seconds() -> None:
    assert period_seconds("720h") == 720 * 3600
    assert period_seconds("1h30m") == 5400
    assert period_seconds("90s") == 90


def test_first_secret_settles_a_request_already_there() -> None:
    plan = cc.plan_rotation(HOURLY, "one", None, times(T0), T0 + 10, generated=True)
    assert plan.reason is None
    assert plan.annotations == {cc.CREATED_ANNOTATION: str(T0), cc.HANDLED_ANNOTATION: "one"}
    assert plan.next_due == T0 + 3600


def test_a_new_request_value_rotates_and_a_handled_one_does_not() -> None:
    record = cc.SecretRecord(created=T0, handled="one")
    assert cc.plan_rotation(None, "two", record, times(T0), T0, generated=True).reason == (
        cc.REQUESTED
    )
    assert cc.plan_rotation(None, "one", record, times(T0), T0, generated=True).reason is None
    assert cc.plan_rotation(None, None, record, times(T0), T0, generated=True).reason is None


def test_the_schedule_rotates_once_the_secret_is_a_period_old() -> None:
    record = cc.SecretRecord(created=T0)
    early = cc.plan_rotation(HOURLY, None, record, times(T0), T0 + 3599, generated=True)
    assert early.reason is None
    assert early.next_due == T0 + 3600
    due = cc.plan_rotation(HOURLY, None, record, times(T0), T0 + 3600, generated=True)
    assert due.reason == cc.SCHEDULED


def test_a_secret_newer_in_keycloak_is_taken_not_rotated_again() -> None:
    """The rotation's Secret write failed: Keycloak's secret is newer than the Secret's
    record. The request counts as handled and nothing is regenerated."""
    record = cc.SecretRecord(created=T0, handled="one")
    plan = cc.plan_rotation(HOURLY, "two", record, times(T0 + 5), T0 + 7200, generated=True)
    assert plan.reason is None
    assert plan.annotations == {cc.CREATED_ANNOTATION: str(T0 + 5), cc.HANDLED_ANNOTATION: "two"}
    assert plan.next_due == T0 + 5 + 3600


def test_no_rotation_without_a_generated_secret() -> None:
    record = cc.SecretRecord(created=T0, handled="one")
    plan = cc.plan_rotation(HOURLY, "two", record, times(T0), T0 + 9999, generated=False)
    assert plan == cc.RotationPlan(None, {})
    assert cc.credentials_status(plan, times(T0), generated=False) is None


def test_record_and_times_are_read_from_annotations_and_attributes() -> None:
    secret = KubeObject(
        {
            "metadata": {
                "name": "s",
                "annotations": {cc.CREATED_ANNOTATION: str(T0), cc.HANDLED_ANNOTATION: "x"},
            }
        }
    )
    assert cc.SecretRecord.of(secret) == cc.SecretRecord(created=T0, handled="x")
    assert cc.SecretRecord.of(None) is None
    client = ClientRepresentation(
        attributes={cc.KC_CREATION_TIME: str(T0), cc.KC_ROTATED_EXPIRATION_TIME: "bad"}
    )
    assert cc.KeycloakSecretTimes.of(client) == times(T0, None)


def test_status_shows_times_never_values() -> None:
    plan = cc.plan_rotation(HOURLY, None, None, times(T0), T0, generated=True)
    status = cc.credentials_status(plan, times(T0, T0 + 60), generated=True)
    assert status is not None
    assert status.last_rotation_time == "2027-01-15T08:00:00Z"
    assert status.next_rotation_time == "2027-01-15T09:00:00Z"
    assert status.previous_secret_expiry_time == "2027-01-15T08:01:00Z"


def test_user_metadata_is_merged_under_the_controllers() -> None:
    config = CredentialsSecret.model_validate(
        {"labels": {"team": "a"}, "annotations": {"reloader.stakater.com/match": "true"}}
    )
    labels, notes = cc.secret_metadata(config, {cc.CREATED_ANNOTATION: "1"})
    assert labels == {"team": "a"}
    assert notes == {"reloader.stakater.com/match": "true", cc.CREATED_ANNOTATION: "1"}
    secret = KubeObject(
        {
            "metadata": {
                "labels": {"team": "a", "app.kubernetes.io/managed-by": "keycloak-controller"},
                "annotations": notes,
            }
        }
    )
    assert cc.metadata_matches(secret, labels, notes)
    assert not cc.metadata_matches(secret, {"team": "b"}, notes)


def test_the_clock_brings_a_due_rotation_forward() -> None:
    clock = cc.RotationClock()
    request = Request("ns", "c")
    clock.set("ns", "c", T0 + 30)
    assert clock.shorten(request, Result(requeue_after=600), T0).requeue_after == 31
    assert clock.shorten(request, Result(requeue=True), T0) == Result(requeue=True)
    clock.set("ns", "c", None)
    assert clock.shorten(request, Result(requeue_after=600), T0).requeue_after == 600


def test_the_secret_names_keycloak_and_the_realm() -> None:
    data = credentials_data("app", Secret("s3"), "https://kc.acme.test/", "demo")
    assert data["keycloak-url"] == "https://kc.acme.test"
    assert data["realm"] == "demo"


@pytest.mark.parametrize("period", ["1d", "h", "10", "-1h"])
def test_a_period_outside_the_format_is_refused(period: str) -> None:
    with pytest.raises(ValidationError):
        CredentialsSecret.model_validate({"rotation": {"period": period}})


def test_rotation_is_a_spec_field_of_credentials_secret() -> None:
    spec = KeycloakClientSpec.model_validate(
        {
            "realmRef": {"name": "r"},
            "clientId": "c",
            "credentialsSecret": {"rotation": {"period": "720h"}, "labels": {"a": "b"}},
        }
    )
    assert spec.credentials_secret is not None
    assert spec.credentials_secret.rotation is not None


def test_after_a_rotation_the_next_is_a_period_from_keycloaks_new_time() -> None:
    client = ClientRepresentation(attributes={cc.KC_CREATION_TIME: str(T0 + 100)})
    assert cc.rescheduled(HOURLY, client) == cc.RotationPlan(None, {}, T0 + 100 + 3600)
    assert cc.rescheduled(None, client).next_due is None
