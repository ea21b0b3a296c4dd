"""Prometheus metrics of the Keycloak client, labelled per Keycloak instance."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

BREAKER_STATE = Gauge(
    "keycloak_client_circuit_breaker_state",
    "Circuit breaker state per Keycloak instance: 0 closed, 1 half-open, 2 open.",
    ["instance"],
)
REQUESTS = Counter(
    "keycloak_client_requests_total",
    "Admin API requests sent, by instance, method and outcome (HTTP status or error).",
    ["instance", "method", "outcome"],
)
RETRIES = Counter(
    "keycloak_client_retries_total",
    "Admin API attempts that were retried, by instance and cause.",
    ["instance", "cause"],
)
