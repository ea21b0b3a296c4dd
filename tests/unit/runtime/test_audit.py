"""The audit record of a Keycloak write: its fields, its pairing, and the fence."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from structlog.testing import capture_logs

from keycloak_controller.runtime import audit


def records(logs: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return [r for r in logs if r["event"] == event]


@pytest.mark.parametrize(
    ("path", "realm"),
    [
        ("/admin/realms/acme/clients/1234", "acme"),
        ("/admin/realms/a%20b/users", "a b"),
        ("/admin/realms/acme", "acme"),
        ("/admin/realms", None),
        ("/admin/realms/", None),
        ("/admin/serverinfo", None),
        ("/admin/realms/acme/clients?first=0", "acme"),
    ],
)
def test_realm_is_read_from_the_admin_path(path: str, realm: str | None) -> None:
    assert audit.realm_of(path) == realm


def test_a_write_is_recorded_before_and_after_with_cr_change_and_leader() -> None:
    writer = audit.Writer("host_abc")
    subject = audit.Subject("KeycloakClient", "team-a", "app", "redirectUris", "update")
    with (
        capture_logs() as logs,
        audit.as_writer(writer),
        audit.about(subject),
        audit.keycloak_write("team-a/kc", "put", "/admin/realms/acme/clients/42") as out,
    ):
        assert len(records(logs, audit.WRITE)) == 1  # on record before it is sent
        out.status = 204
    (begin,) = records(logs, audit.WRITE)
    (done,) = records(logs, audit.WRITE_DONE)
    assert begin["log_level"] == "info" and done["log_level"] == "info"
    expected = {
        "leader": "host_abc",
        "cr_kind": "KeycloakClient",
        "cr_namespace": "team-a",
        "cr_name": "app",
        "change": "redirectUris",
        "verb": "update",
        "keycloak": "team-a/kc",
        "realm": "acme",
        "method": "PUT",
        "path": "/admin/realms/acme/clients/42",
    }
    assert {k: begin[k] for k in expected} == expected
    assert {k: done[k] for k in expected} == expected
    assert done["write_id"] == begin["write_id"]
    assert done["status"] == 204 and done["error"] is None and done["seconds"] >= 0


def test_reads_are_not_recorded_and_never_fenced() -> None:
    shut = audit.Writer("me", may_write=lambda: False)
    with (
        capture_logs() as logs,
        audit.as_writer(shut),
        audit.keycloak_write("kc", "GET", "/admin/realms/acme") as out,
    ):
        out.status = 200
    assert logs == []


def test_a_fenced_write_is_refused_before_it_is_sent() -> None:
    shut = audit.Writer("me", may_write=lambda: False)
    sent = []
    with (
        capture_logs() as logs,
        audit.as_writer(shut),
        pytest.raises(audit.WriteFenced, match="leadership lost"),
        audit.keycloak_write("kc", "DELETE", "/admin/realms/acme/users/1"),
    ):
        sent.append(True)
    assert sent == []
    assert [r["event"] for r in logs] == [audit.WRITE_REFUSED]
    assert logs[0]["log_level"] == "warning" and logs[0]["leader"] == "me"


def test_the_fence_is_asked_at_every_write() -> None:
    open_ = [True]
    writer = audit.Writer("me", may_write=lambda: open_[0])
    with audit.as_writer(writer):
        with audit.keycloak_write("kc", "POST", "/admin/realms"):
            pass
        open_[0] = False
        with pytest.raises(audit.WriteFenced), audit.keycloak_write("kc", "POST", "/admin/realms"):
            pass


def test_a_failed_write_is_closed_with_the_error_type() -> None:
    with (
        capture_logs() as logs,
        pytest.raises(ConnectionError),
        audit.keycloak_write("kc", "POST", "/admin/realms"),
    ):
        raise ConnectionError("reset")
    (done,) = records(logs, audit.WRITE_DONE)
    assert done["error"] == "ConnectionError" and done["status"] is None


def test_without_scopes_the_write_is_recorded_with_nulls() -> None:
    with capture_logs() as logs, audit.keycloak_write("kc", "POST", "/admin/realms"):
        pass
    (begin,) = records(logs, audit.WRITE)
    assert begin["leader"] is None and begin["cr_kind"] is None and begin["change"] is None


def test_scopes_are_per_thread_and_restored() -> None:
    seen: list[audit.Writer | None] = []
    with audit.as_writer(audit.Writer("outer")):
        with audit.as_writer(audit.Writer("inner")):
            thread = threading.Thread(target=lambda: seen.append(audit.current_writer()))
            thread.start()
            thread.join()
            assert audit.current_writer() == audit.Writer("inner")
        assert audit.current_writer() == audit.Writer("outer")
    assert audit.current_writer() is None
    assert seen == [None]  # a worker thread starts with no writer of its own
