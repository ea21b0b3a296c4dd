"""Admin access tokens: obtained once, cached, refreshed before they expire.

Master realm access tokens live 60 s by default, so a long-running operator
renews constantly. We renew when less than `refresh_margin` of the lifetime is
left (using the refresh token when it is still valid, which is cheaper than a
full grant) and the transport drops the token and retries once on a 401.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import requests

from keycloak_controller.keycloak.errors import (
    TLS_FAILED,
    AuthenticationFailed,
    ConnectFailed,
    Unavailable,
    keycloak_error_text,
)
from keycloak_controller.keycloak.secrets import Secret


class Credentials(Protocol):
    @property
    def realm(self) -> str: ...

    def grant_form(self) -> dict[str, str]:
        """The form fields of a fresh token request (secrets revealed)."""
        ...

    @property
    def client_id(self) -> str: ...


@dataclass(frozen=True)
class PasswordCredentials:
    """Resource-owner password grant, by default the master realm's admin-cli."""

    username: str
    password: Secret = field(repr=False)
    realm: str = "master"
    client_id: str = "admin-cli"

    def grant_form(self) -> dict[str, str]:
        return {
            "grant_type": "password",
            "client_id": self.client_id,
            "username": self.username,
            "password": self.password.reveal(),
        }


@dataclass(frozen=True)
class ClientCredentials:
    """Client-credentials grant for a confidential service-account client."""

    client_id: str
    client_secret: Secret = field(repr=False)
    realm: str = "master"

    def grant_form(self) -> dict[str, str]:
        return {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret.reveal(),
        }


@dataclass(frozen=True)
class _Token:
    access: Secret
    expires_at: float
    lifetime: float
    refresh: Secret | None
    refresh_expires_at: float


class TokenProvider:
    """Thread-safe cache of one admin access token for one Keycloak instance."""

    def __init__(
        self,
        session: requests.Session,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float = 10.0,
        refresh_margin: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
        verify: bool | str = True,
    ) -> None:
        self._session = session
        self._verify = verify
        realm_url = f"{base_url.rstrip('/')}/realms/{credentials.realm}"
        self._url = f"{realm_url}/protocol/openid-connect/token"
        self._credentials = credentials
        self._timeout = timeout
        self._margin = refresh_margin
        self._clock = clock
        self._lock = threading.Lock()
        self._token: _Token | None = None
        self.grants = 0  # full grants made; visible so tests can count them
        self.refreshes = 0  # refresh_token grants made

    def __repr__(self) -> str:
        return f"TokenProvider(url={self._url!r}, client_id={self._credentials.client_id!r})"

    def access_token(self) -> Secret:
        """A token valid for at least the refresh margin of its lifetime."""
        with self._lock:
            now = self._clock()
            token = self._token
            if token is not None and token.expires_at - now > token.lifetime * self._margin:
                return token.access
            if token is not None and token.refresh is not None and token.refresh_expires_at > now:
                try:
                    self._token = self._request(self._refresh_form(token.refresh))
                    self.refreshes += 1
                    return self._token.access
                except AuthenticationFailed:
                    pass  # refresh token revoked or session gone: do a full grant
            self._token = self._request(self._credentials.grant_form())
            self.grants += 1
            return self._token.access

    def invalidate(self) -> None:
        """Forget the cached token (after a 401) so the next call gets a new one."""
        with self._lock:
            self._token = None

    def _refresh_form(self, refresh: Secret) -> dict[str, str]:
        form = {
            "grant_type": "refresh_token",
            "client_id": self._credentials.client_id,
            "refresh_token": refresh.reveal(),
        }
        if isinstance(self._credentials, ClientCredentials):
            form["client_secret"] = self._credentials.client_secret.reveal()
        return form

    def _request(self, form: dict[str, str]) -> _Token:
        started = self._clock()
        try:
            response = self._session.post(
                self._url, data=form, timeout=self._timeout, verify=self._verify
            )
        except requests.exceptions.SSLError:
            raise ConnectFailed(TLS_FAILED, method="POST", path=self._url) from None
        except requests.ConnectionError as exc:
            raise ConnectFailed(
                f"token endpoint unreachable: {type(exc).__name__}", method="POST", path=self._url
            ) from None
        except requests.RequestException as exc:
            # The exception text can include the URL but never the form body.
            raise Unavailable(
                f"token endpoint unreachable: {type(exc).__name__}", method="POST", path=self._url
            ) from None
        if response.status_code >= 500:
            # Not a verdict on the credentials: a restarting Keycloak answers 503
            # "Bootstrap in progress" here for seconds. Reported as unavailable (retried,
            # counted by the breaker), not as AuthenticationFailed, which asks a person
            # to fix the Secret. The text stays fixed: it can end up in status.
            raise Unavailable(
                f"token endpoint answered HTTP {response.status_code} (Keycloak is starting "
                "or failing)",
                method="POST",
                path=self._url,
            )
        if response.status_code != 200:
            raise AuthenticationFailed(
                keycloak_error_text(response),
                status=response.status_code,
                method="POST",
                path=self._url,
            )
        body = response.json()
        lifetime = float(body.get("expires_in", 60))
        refresh = body.get("refresh_token")
        refresh_lifetime = float(body.get("refresh_expires_in", 0) or 0)
        return _Token(
            access=Secret(body["access_token"]),
            expires_at=started + lifetime,
            lifetime=lifetime,
            refresh=Secret(refresh) if refresh else None,
            # refresh_expires_in == 0 means "no expiry" (offline tokens); we
            # never ask for those, so treat 0 as "do not use".
            refresh_expires_at=started + refresh_lifetime,
        )
