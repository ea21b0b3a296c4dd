"""A half-open breaker's probe always ends, whatever way the call fails.

Found by the chaos test (tests/integration/controllers/test_chaos.py): Keycloak,
SIGKILLed and starting again, answered the token request of the breaker's probe
with 503 "Bootstrap in progress". The token fetch raised AuthenticationFailed,
which the transport neither counted as a failure nor as a success, so the probe
never ended: the breaker stayed half-open with its one probe "in flight" and
refused every call to that Keycloak for good, long after it was back. A 5xx
from the token endpoint is now Keycloak being unavailable; any other outcome the
transport does not count still ends the probe.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from keycloak_controller.keycloak.auth import PasswordCredentials
from keycloak_controller.keycloak.breaker import BreakerState
from keycloak_controller.keycloak.errors import (
    AuthenticationFailed,
    CircuitOpen,
    ServerError,
    Unavailable,
)
from keycloak_controller.keycloak.retry import RetryPolicy
from keycloak_controller.keycloak.secrets import Secret
from keycloak_controller.keycloak.transport import KeycloakTransport, TransportSettings


class StartingKeycloak:
    """Token endpoint and API answer the statuses queued for them, then 200."""

    def __init__(self) -> None:
        self.token_statuses: list[int] = []
        self.api_statuses: list[int] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                token = "/protocol/openid-connect/token" in self.path
                queue = server.token_statuses if token else server.api_statuses
                status = queue.pop(0) if queue else 200
                body: dict[str, object] = {"error": "starting"}
                if status == 200:
                    body = {"access_token": "t", "expires_in": 60} if token else {}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()


@pytest.fixture
def keycloak() -> Iterator[StartingKeycloak]:
    server = StartingKeycloak()
    yield server
    server.http.shutdown()
    server.http.server_close()


RESET = 0.2


def opened_breaker(keycloak: StartingKeycloak) -> KeycloakTransport:
    """A transport whose breaker has just opened (Keycloak went down)."""
    t = KeycloakTransport(
        keycloak.url,
        PasswordCredentials("admin", Secret("pw")),
        settings=TransportSettings(
            retry=RetryPolicy(max_attempts=1),
            breaker_failure_threshold=1,
            breaker_reset_timeout=RESET,
        ),
    )
    keycloak.api_statuses.append(503)
    with pytest.raises(ServerError):
        t.request("GET", "/admin/realms")
    assert t.breaker.state is BreakerState.OPEN
    return t


def closes_again(t: KeycloakTransport) -> bool:
    """A later call probes again (at once, or after the reset timeout if the failed
    probe counted as a failure) and, Keycloak being ready, closes the breaker."""
    deadline = time.monotonic() + 10 * RESET
    while True:
        try:
            t.request("GET", "/admin/realms")
            return t.breaker.state is BreakerState.CLOSED
        except CircuitOpen:
            if time.monotonic() > deadline:
                return False  # the breaker never let a probe through again
            time.sleep(RESET / 4)


@pytest.mark.parametrize(
    ("token_status", "raised"),
    [
        (503, Unavailable),  # "Bootstrap in progress": counted as a failure, retried later
        (401, AuthenticationFailed),  # a refused grant says nothing of Keycloak's health
    ],
)
def test_a_probe_whose_token_request_fails_does_not_wedge_the_breaker(
    keycloak: StartingKeycloak, token_status: int, raised: type[Exception]
) -> None:
    t = opened_breaker(keycloak)
    time.sleep(RESET + 0.05)
    t.tokens.invalidate()  # the probe needs a new token, and is refused one
    keycloak.token_statuses.append(token_status)
    with pytest.raises(raised):
        t.request("GET", "/admin/realms")
    assert closes_again(t)


def test_a_starting_keycloak_is_unavailable_not_an_authentication_failure(
    keycloak: StartingKeycloak,
) -> None:
    """What Keycloak 26 answers on its token endpoint while it boots (seen on a real
    restart): 503 "Bootstrap in progress". That must not read as wrong credentials,
    which the controller reports as needing a person (Stalled)."""
    t = KeycloakTransport(
        keycloak.url,
        PasswordCredentials("admin", Secret("pw")),
        settings=TransportSettings(retry=RetryPolicy(max_attempts=1)),
    )
    keycloak.token_statuses.append(503)
    with pytest.raises(Unavailable) as error:
        t.request("GET", "/admin/realms")
    assert not isinstance(error.value, AuthenticationFailed)
    assert error.value.reason == "KeycloakUnavailable"
