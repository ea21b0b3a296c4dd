"""The transport records every write it sends and refuses writes once the fence is shut."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from keycloak_controller.keycloak.auth import PasswordCredentials
from keycloak_controller.keycloak.errors import BadRequest
from keycloak_controller.keycloak.retry import RetryPolicy
from keycloak_controller.keycloak.secrets import Secret
from keycloak_controller.keycloak.transport import KeycloakTransport, TransportSettings
from keycloak_controller.runtime import audit

from .conftest import FakeKeycloak

PASSWORD = "pa55-audit-secret"
FAST = RetryPolicy(max_attempts=3, initial_wait=0.01, max_wait=0.02, jitter=0.0, max_total=5)


def transport(url: str) -> KeycloakTransport:
    return KeycloakTransport(
        url,
        PasswordCredentials("admin", Secret(PASSWORD)),
        settings=TransportSettings(retry=FAST),
        instance="team-a/kc",
    )


def writes(logs: list[dict[str, object]], event: str = audit.WRITE) -> list[dict[str, object]]:
    return [r for r in logs if r["event"] == event]


def test_each_write_sent_is_recorded_with_its_subject_and_status(fake: FakeKeycloak) -> None:
    fake.respond(200, {"realm": "acme"}).respond(201).respond(400, {"errorMessage": "bad"})
    t = transport(fake.url)
    subject = audit.Subject("KeycloakRealm", "team-a", "acme", "displayName", "update")
    with capture_logs() as logs, audit.as_writer(audit.Writer("pod-1_x")), audit.about(subject):
        t.request("GET", "/admin/realms/acme")
        t.request("PUT", "/admin/realms/acme", json={"displayName": PASSWORD})
        with pytest.raises(BadRequest):
            t.request("POST", "/admin/realms/acme/clients", json={})
    begun, done = writes(logs), writes(logs, audit.WRITE_DONE)
    assert [(r["method"], r["path"]) for r in begun] == [
        ("PUT", "/admin/realms/acme"),
        ("POST", "/admin/realms/acme/clients"),
    ]
    assert [r["status"] for r in done] == [201, 400]
    assert all(r["leader"] == "pod-1_x" and r["cr_name"] == "acme" for r in begun + done)
    assert all(r["keycloak"] == "team-a/kc" and r["realm"] == "acme" for r in begun)
    assert PASSWORD not in repr(logs)  # values are never part of the record


def test_a_fenced_write_never_reaches_keycloak(fake: FakeKeycloak) -> None:
    t = transport(fake.url)
    fenced = audit.Writer("pod-1_x", may_write=lambda: False)
    with capture_logs() as logs, audit.as_writer(fenced):
        assert t.request_json("GET", "/admin/realms/acme") == {"ok": True}  # reads still work
        with pytest.raises(audit.WriteFenced):
            t.request("DELETE", "/admin/realms/acme")
    assert [s.method for s in fake.seen] == ["GET"]
    assert (t.requests_sent, t.writes_sent) == (1, 0)  # a refused write is not counted
    assert [r["event"] for r in logs if r["event"].startswith("keycloak write")] == [
        audit.WRITE_REFUSED
    ]


def test_a_retried_write_is_recorded_per_attempt(fake: FakeKeycloak) -> None:
    fake.respond(503).respond(204)
    t = transport(fake.url)
    with capture_logs() as logs:
        t.request("PUT", "/admin/realms/acme", json={})
    assert len(fake.seen) == 2
    assert [r["status"] for r in writes(logs, audit.WRITE_DONE)] == [503, 204]
    assert len({r["write_id"] for r in writes(logs)}) == 2
