"""Typed exceptions for Keycloak Admin API failures.

Callers branch on the class ("bad request: ..." vs "unavailable") and may show
`str(error)` in a status condition, so messages carry Keycloak's own error
text and the request line, never a request body, token or secret.
"""

from __future__ import annotations

import json
from typing import Any

import requests

from keycloak_controller.keycloak.models.base import mask_secrets


class KeycloakError(Exception):
    """Base class: something went wrong talking to Keycloak."""

    reason = "KeycloakError"  # CamelCase, suitable for a status condition

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        where = f"{method} {path}: " if method and path else ""
        code = f"HTTP {status}: " if status else ""
        super().__init__(f"{where}{code}{message}")


class KeycloakHTTPError(KeycloakError):
    """Keycloak answered with an error status."""

    reason = "KeycloakHTTPError"


class BadRequest(KeycloakHTTPError):
    reason = "BadRequest"


class Unauthorized(KeycloakHTTPError):
    reason = "Unauthorized"


class Forbidden(KeycloakHTTPError):
    reason = "Forbidden"


class NotFound(KeycloakHTTPError):
    reason = "NotFound"


class Conflict(KeycloakHTTPError):
    reason = "Conflict"


class RateLimited(KeycloakHTTPError):
    """HTTP 429; `retry_after` is the server's hint in seconds, if any."""

    reason = "RateLimited"

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)


class ServerError(KeycloakHTTPError):
    """HTTP 5xx."""

    reason = "ServerError"


class Unavailable(KeycloakError):
    """Keycloak could not be reached (connection refused, timeout, ...)."""

    reason = "KeycloakUnavailable"


TLS_FAILED = (
    "TLS certificate verification failed: the server's certificate does not chain to a "
    "trusted CA; set spec.caBundle to the CA that signs it"
)


class ConnectFailed(Unavailable):
    """The TCP connection was never established, so nothing was sent."""

    reason = "KeycloakUnreachable"


class CircuitOpen(Unavailable):
    """The circuit breaker is open: the call was not attempted."""

    reason = "CircuitOpen"


class AuthenticationFailed(KeycloakError):
    """The token endpoint refused our credentials."""

    reason = "AuthenticationFailed"


class UnsupportedByVersion(KeycloakError):
    """The request needs something this Keycloak version does not have."""

    reason = "UnsupportedByVersion"


_BY_STATUS: dict[int, type[KeycloakHTTPError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    429: RateLimited,
}


def keycloak_error_text(response: requests.Response) -> str:
    """Keycloak's own explanation from an error body, or a short fallback.

    Admin endpoints answer {"errorMessage": ...} (sometimes "error" and
    "error_description", as the token endpoint does); some answer plain text.
    """
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        text = (response.text or "").strip()
        return text[:300] if text else (response.reason or "error")
    if isinstance(body, dict):
        body = mask_secrets(body)
        parts = [
            str(body[k])
            for k in ("errorMessage", "error", "error_description")
            if body.get(k) not in (None, "")
        ]
        if body.get("field"):
            parts.append(f"field {body['field']}")
        if parts:
            return ": ".join(dict.fromkeys(parts))
    return response.reason or "error"


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds; HTTP-date forms are ignored (Keycloak sends seconds)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def error_from_response(response: requests.Response, method: str, path: str) -> KeycloakHTTPError:
    status = response.status_code
    message = keycloak_error_text(response)
    kw: dict[str, Any] = {"status": status, "method": method, "path": path}
    if status == 429:
        return RateLimited(
            message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kw
        )
    if status >= 500:
        return ServerError(message, **kw)
    return _BY_STATUS.get(status, KeycloakHTTPError)(message, **kw)
