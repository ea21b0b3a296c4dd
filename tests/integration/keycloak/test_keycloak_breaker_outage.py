"""Stop a real Keycloak: the breaker opens and calls fail fast; restart it: it closes."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from keycloak_controller.keycloak.breaker import BreakerState
from keycloak_controller.keycloak.client import KeycloakAdmin
from keycloak_controller.keycloak.errors import CircuitOpen, Unavailable
from keycloak_controller.keycloak.metrics import BREAKER_STATE
from keycloak_controller.keycloak.retry import RetryPolicy
from keycloak_controller.keycloak.transport import TransportSettings
from tests.support.keycloak_server import KeycloakServer


def test_breaker_opens_on_outage_and_closes_after_restart(
    private_keycloak: Callable[..., KeycloakServer],
) -> None:
    server = private_keycloak()
    endpoint = server.endpoint
    admin = KeycloakAdmin.with_password(
        endpoint.base_url,
        endpoint.admin_username,
        endpoint.admin_password,
        settings=TransportSettings(
            connect_timeout=1.0,
            breaker_failure_threshold=3,
            breaker_reset_timeout=1.0,
            retry=RetryPolicy(max_attempts=2, initial_wait=0.05, max_wait=0.1, jitter=0.0),
        ),
    )
    with admin:
        assert admin.realms.get("master").realm == "master"
        assert admin.breaker_state is BreakerState.CLOSED

        server.stop()
        failures = 0
        while admin.breaker_state is not BreakerState.OPEN:
            with pytest.raises(Unavailable):
                admin.realms.get("master")
            failures += 1
            assert failures <= 3, "the breaker opens after the configured 3 failures"
        assert (
            BREAKER_STATE.labels(admin.transport.instance)._value.get() == BreakerState.OPEN.value
        )

        started = time.monotonic()
        with pytest.raises(CircuitOpen, match=r"circuit breaker .* is open"):
            admin.realms.get("master")
        assert time.monotonic() - started < 0.05, "an open breaker fails fast"

        server.start()
        deadline = time.monotonic() + 60
        while True:
            try:
                assert admin.realms.get("master").realm == "master"
                break
            except Unavailable:
                assert time.monotonic() < deadline, "the breaker never closed again"
                time.sleep(0.5)
        assert admin.breaker_state is BreakerState.CLOSED
        assert (
            BREAKER_STATE.labels(admin.transport.instance)._value.get() == BreakerState.CLOSED.value
        )
