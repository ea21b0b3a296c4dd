"""Retries, 401 handling, breaker and secrecy against a fault-injecting local server."""

from __future__ import annotations

import logging
import time

import pytest

from keycloak_controller.keycloak.auth import PasswordCredentials
from keycloak_controller.keycloak.breaker import BreakerState
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.errors import (
    BadRequest,
    CircuitOpen,
    Conflict,
    ConnectFailed,
    Forbidden,
    NotFound,
    RateLimited,
    ServerError,
)
from keycloak_controller.keycloak.metrics import BREAKER_STATE
from keycloak_controller.keycloak.models import RealmRepresentation
from keycloak_controller.keycloak.retry import RetryPolicy
from keycloak_controller.keycloak.secrets import Secret
from keycloak_controller.keycloak.transport import KeycloakTransport, TransportSettings

PASSWORD = "pa55-super-secret"
FAST = RetryPolicy(max_attempts=4, initial_wait=0.01, max_wait=0.05, jitter=0.0, max_total=5)


def transport(url: str, **settings: object) -> KeycloakTransport:
    merged: dict[str, object] = {"retry": FAST, **settings}
    return KeycloakTransport(
        url,
        PasswordCredentials("admin", Secret(PASSWORD)),
        settings=TransportSettings(**merged),  # type: ignore[arg-type]
    )


def test_5xx_is_retried_then_succeeds(fake) -> None:  # type: ignore[no-untyped-def]
    fake.respond(503).respond(502).respond(200, {"realm": "a"})
    t = transport(fake.url)
    assert t.request_json("GET", "/admin/realms/a") == {"realm": "a"}
    assert len(fake.seen) == 3


def test_retries_are_bounded(fake) -> None:  # type: ignore[no-untyped-def]
    fake.respond(500, {"errorMessage": "boom"}, times=10)
    t = transport(fake.url, breaker_failure_threshold=100)
    with pytest.raises(ServerError, match="boom"):
        t.request("GET", "/admin/realms/a")
    assert len(fake.seen) == FAST.max_attempts


def test_500_on_post_is_not_retried_but_503_is(fake) -> None:  # type: ignore[no-untyped-def]
    fake.respond(500)
    t = transport(fake.url)
    with pytest.raises(ServerError):
        t.request("POST", "/admin/realms", json={})
    assert len(fake.seen) == 1
    fake.respond(503).respond(201)
    t.request("POST", "/admin/realms", json={})
    assert len(fake.seen) == 3


def test_429_honours_retry_after(fake) -> None:  # type: ignore[no-untyped-def]
    fake.respond(429, headers={"Retry-After": "1"}).respond(200, {})
    t = transport(fake.url)
    started = time.monotonic()
    t.request("GET", "/admin/realms")
    assert time.monotonic() - started >= 1.0
    assert len(fake.seen) == 2


def test_429_gives_up_with_rate_limited(fake) -> None:  # type: ignore[no-untyped-def]
    fake.respond(429, headers={"Retry-After": "0"}, times=10)
    with pytest.raises(RateLimited) as err:
        transport(fake.url).request("GET", "/admin/realms")
    assert err.value.retry_after == 0.0


def test_401_refetches_token_once(fake) -> None:  # type: ignore[no-untyped-def]
    fake.respond(401).respond(200, {})
    t = transport(fake.url)
    t.request("GET", "/admin/realms")
    assert len(fake.token_requests) == 2
    assert fake.seen[0].headers["Authorization"] == "Bearer token-1"
    assert fake.seen[1].headers["Authorization"] == "Bearer token-2"


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, BadRequest), (403, Forbidden), (404, NotFound), (409, Conflict)],
)
def test_error_bodies_become_typed_errors(fake, status: int, error: type[Exception]) -> None:  # type: ignore[no-untyped-def]
    fake.respond(status, {"errorMessage": "Client secret must be set"})
    with pytest.raises(error) as raised:
        transport(fake.url).request("GET", "/admin/realms/x")
    assert "Client secret must be set" in str(raised.value)
    assert len(fake.seen) == 1  # client errors are not retried


def test_breaker_opens_fails_fast_and_recovers(fake) -> None:  # type: ignore[no-untyped-def]
    t = transport(
        fake.url,
        retry=RetryPolicy(max_attempts=1),
        breaker_failure_threshold=3,
        breaker_reset_timeout=0.3,
    )
    fake.respond(503, times=3)
    for _ in range(3):
        with pytest.raises(ServerError):
            t.request("GET", "/admin/realms")
    assert t.breaker.state is BreakerState.OPEN
    assert BREAKER_STATE.labels(t.instance)._value.get() == BreakerState.OPEN.value
    with pytest.raises(CircuitOpen, match="open after repeated failures"):
        t.request("GET", "/admin/realms")
    assert len(fake.seen) == 3, "an open breaker does not contact Keycloak"

    time.sleep(0.35)
    assert t.breaker.state is BreakerState.HALF_OPEN
    fake.respond(200, {})
    t.request("GET", "/admin/realms")  # the probe
    assert t.breaker.state is BreakerState.CLOSED
    assert BREAKER_STATE.labels(t.instance)._value.get() == BreakerState.CLOSED.value


def test_failed_probe_reopens(fake) -> None:  # type: ignore[no-untyped-def]
    t = transport(
        fake.url,
        retry=RetryPolicy(max_attempts=1),
        breaker_failure_threshold=1,
        breaker_reset_timeout=0.2,
    )
    fake.respond(503, times=2)
    with pytest.raises(ServerError):
        t.request("GET", "/x")
    time.sleep(0.25)
    with pytest.raises(ServerError):
        t.request("GET", "/x")  # probe fails
    assert t.breaker.state is BreakerState.OPEN


def test_connection_refused_is_unavailable_and_counts_for_the_breaker() -> None:
    t = transport(
        "http://127.0.0.1:9",  # discard port: nothing listens
        retry=RetryPolicy(max_attempts=2, initial_wait=0.01, jitter=0),
        breaker_failure_threshold=2,
    )
    with pytest.raises(ConnectFailed):
        t.request("GET", "/admin/realms")
    assert t.breaker.state is BreakerState.OPEN
    with pytest.raises(CircuitOpen):
        t.request("GET", "/admin/realms")


def test_every_call_has_a_timeout(fake, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    t = transport(fake.url, connect_timeout=1.5, read_timeout=7.0)
    seen: list[object] = []
    original = t.session.send  # the token grant's Session.request ends here too

    def spy(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        seen.append(kwargs.get("timeout"))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(t.session, "send", spy)
    t.request("GET", "/admin/realms")
    assert None not in seen and seen[-1] == (1.5, 7.0)  # token request too


def test_secrets_never_in_logs_errors_or_reprs(fake, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    admin = KeycloakAdmin.with_password(fake.url, "admin", PASSWORD, version="26.7.3")
    admin.transport.settings = TransportSettings(retry=FAST)
    fake.respond(503).respond(400, {"errorMessage": "invalid", "password": PASSWORD})
    with pytest.raises(BadRequest) as err:
        admin.realms.update(
            "r", RealmRepresentation(realm="r", smtp_server={"password": PASSWORD, "host": "h"})
        )
    token = "token-1"
    texts = [
        caplog.text,
        str(err.value),
        repr(err.value),
        repr(admin),
        repr(admin.transport),
        repr(admin.transport.tokens),
        repr(PasswordCredentials("admin", Secret(PASSWORD))),
        repr(RealmRepresentation(realm="r", smtp_server={"password": PASSWORD})),
    ]
    for text in texts:
        assert PASSWORD not in text
        assert token not in text
    # The secret did reach the server, where it belongs.
    assert PASSWORD.encode() in fake.seen[-1].body
