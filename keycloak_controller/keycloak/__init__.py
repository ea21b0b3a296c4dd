"""Keycloak Admin API layer.

- `client.KeycloakAdmin`: typed methods per representation, one per instance.
- `transport`: session, token, retries, circuit breaker, limits.
- `models`: the canonical models generated from the canonical spec.
- `adapters`: per-version conversion and validation (see docs/keycloak-api-differences.md).
- `diff`: desired-vs-actual semantic diff producing the minimal update.
"""
