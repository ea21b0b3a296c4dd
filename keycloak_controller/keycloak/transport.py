"""HTTP transport to one Keycloak instance: session, token, retries, breaker, limits.

Every Admin API call goes through `KeycloakTransport.request`, which
- waits for a concurrency slot and the rate limiter,
- checks the circuit breaker (fails fast with CircuitOpen when open),
- sends with a bearer token and a timeout, retrying once with a new token on 401,
- records every write in the audit trail, and refuses it once this process's
  lease fence is shut (runtime/audit.py),
- turns error responses into typed exceptions, and
- retries transient failures with exponential backoff and jitter (tenacity).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict
from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_after_delay

from keycloak_controller import USER_AGENT
from keycloak_controller.keycloak.auth import Credentials, TokenProvider
from keycloak_controller.keycloak.breaker import CircuitBreaker
from keycloak_controller.keycloak.errors import (
    TLS_FAILED,
    ConnectFailed,
    RateLimited,
    ServerError,
    Unavailable,
    error_from_response,
)
from keycloak_controller.keycloak.limits import ConcurrencyLimiter, RequestRateLimiter
from keycloak_controller.keycloak.metrics import REQUESTS, RETRIES
from keycloak_controller.keycloak.retry import RetryPolicy
from keycloak_controller.runtime import audit

log = logging.getLogger(__name__)

JSON = Any  # a decoded JSON document; only this module and the adapters see it


class VerbatimBody(str):
    """A request body sent as-is with Content-Type application/json, not JSON-encoded.

    Some older endpoints read their body as a plain string (Keycloak 25's
    organization members take the bare user id, where 26 takes a JSON string).
    """


def api_path(*segments: str) -> str:
    """Join path segments, quoting each one (realm names and aliases are user input)."""
    return "/" + "/".join(quote(s, safe="") for s in segments)


@dataclass(frozen=True)
class TransportSettings:
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    pool_size: int = 10
    max_concurrency: int = 8
    requests_per_second: float = 50.0
    burst: int = 20
    breaker_failure_threshold: int = 5
    breaker_reset_timeout: float = 10.0
    token_refresh_margin: float = 0.25
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class KeycloakTransport:
    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        settings: TransportSettings | None = None,
        instance: str | None = None,
        session: requests.Session | None = None,
        verify: bool | str = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # TLS verification: True, False, or a CA bundle path. Passed on every
        # request, because requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE
        # override a session-level setting (psf/requests#3829) but not an
        # explicit per-request one.
        self.verify = verify
        self.settings = settings or TransportSettings()
        self.instance = instance or urlsplit(self.base_url).netloc or self.base_url
        self.session = session or requests.Session()
        # The environment is read once, here, not on every request: with trust_env
        # requests re-reads proxy variables and stats ~/.netrc per call (a tenth of
        # the controller's CPU in the benchmark), and a netrc entry for this host
        # would replace our bearer token with Basic auth. Proxies still apply.
        self.session.trust_env = False
        self.session.proxies = requests.utils.get_environ_proxies(self.base_url)
        self.session.headers["User-Agent"] = USER_AGENT
        adapter = HTTPAdapter(
            pool_connections=1, pool_maxsize=self.settings.pool_size, max_retries=0
        )
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        self.tokens = TokenProvider(
            self.session,
            self.base_url,
            credentials,
            timeout=self.settings.read_timeout,
            refresh_margin=self.settings.token_refresh_margin,
            verify=verify,
        )
        self.breaker = CircuitBreaker(
            self.instance,
            failure_threshold=self.settings.breaker_failure_threshold,
            reset_timeout=self.settings.breaker_reset_timeout,
        )
        self.concurrency = ConcurrencyLimiter(self.settings.max_concurrency)
        self.rate = RequestRateLimiter(self.settings.requests_per_second, burst=self.settings.burst)
        self.requests_sent = 0  # every HTTP request to the Admin API, for tests and benchmarks
        self.writes_sent = 0  # the subset that were POST/PUT/DELETE

    def __repr__(self) -> str:
        return f"KeycloakTransport({self.base_url!r})"

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: JSON = None,
    ) -> requests.Response:
        """Send one Admin API request; return the (successful) response."""
        policy = self.settings.retry
        retrying = Retrying(
            retry=retry_if_exception(lambda e: policy.should_retry(e, method)),
            wait=policy.wait_seconds,
            stop=stop_after_attempt(policy.max_attempts) | stop_after_delay(policy.max_total),
            before_sleep=lambda s: self._note_retry(method, path, s.outcome),
            reraise=True,
        )
        return retrying(self._attempt, method, path, params, json)

    def request_json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: JSON = None,
    ) -> JSON:
        response = self.request(method, path, params=params, json=json)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def _attempt(
        self, method: str, path: str, params: Mapping[str, Any] | None, body: JSON
    ) -> requests.Response:
        self.breaker.before_call()
        with self.concurrency.slot():
            self.rate.acquire()
            started = time.monotonic()
            try:
                response = self._send(method, path, params, body)
                if response.status_code == 401:
                    # The token may have expired early (clock skew, server restart
                    # or revoked session): drop it and try once with a new one.
                    self.tokens.invalidate()
                    response = self._send(method, path, params, body)
            except Unavailable:
                self.breaker.record_failure()
                REQUESTS.labels(self.instance, method, "unavailable").inc()
                raise
            except requests.exceptions.SSLError:
                self.breaker.record_failure()
                REQUESTS.labels(self.instance, method, "connect_error").inc()
                raise ConnectFailed(TLS_FAILED, method=method, path=path) from None
            except requests.ConnectionError as exc:
                self.breaker.record_failure()
                REQUESTS.labels(self.instance, method, "connect_error").inc()
                raise ConnectFailed(
                    f"cannot connect to Keycloak: {type(exc).__name__}", method=method, path=path
                ) from None
            except requests.RequestException as exc:
                self.breaker.record_failure()
                REQUESTS.labels(self.instance, method, "error").inc()
                raise Unavailable(
                    f"request to Keycloak failed: {type(exc).__name__}", method=method, path=path
                ) from None
            except BaseException:
                # Neither a success nor a failure (the token endpoint refusing the grant,
                # as a restarting Keycloak does; the write fence): if this call was a
                # half-open breaker's probe, the next call must probe, or the breaker
                # refuses every call for good.
                self.breaker.release_probe()
                raise
        REQUESTS.labels(self.instance, method, str(response.status_code)).inc()
        log.debug(
            "keycloak %s %s -> %s in %.3fs",
            method,
            path,
            response.status_code,
            time.monotonic() - started,
        )
        if response.status_code >= 500:
            self.breaker.record_failure()
        else:
            # 4xx (including 429) means Keycloak is up and answering.
            self.breaker.record_success()
        if response.status_code >= 400:
            raise error_from_response(response, method, path)
        return response

    def _send(
        self, method: str, path: str, params: Mapping[str, Any] | None, body: JSON
    ) -> requests.Response:
        token = self.tokens.access_token()
        # requests can raise ConnectionError subclasses (ConnectTimeout, ...) here;
        # ReadTimeout is not a ConnectionError, so a slow server is not
        # mistaken for "nothing was sent".
        headers = {"Authorization": f"Bearer {token.reveal()}", "Accept": "application/json"}
        verbatim = isinstance(body, VerbatimBody)
        if verbatim:
            headers["Content-Type"] = "application/json"
        # Last point before the wire: a fenced write is refused, every write is recorded.
        with audit.keycloak_write(self.instance, method, path) as outcome:
            self.requests_sent += 1  # counted only once it is really sent
            if method.upper() != "GET":
                self.writes_sent += 1
            prepared = self._prepare(method, path, params, body, headers, verbatim=verbatim)
            response = self.session.send(
                prepared,
                timeout=self._timeout,
                verify=self.verify,
                proxies=self.session.proxies,
                stream=False,
                cert=self.session.cert,
                allow_redirects=True,
            )
            outcome.status = response.status_code
        return response

    def _prepare(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: JSON,
        headers: dict[str, str],
        *,
        verbatim: bool,
    ) -> requests.PreparedRequest:
        """What `Session.request` prepares, without its per-call merging.

        `Session.request` merges the request's headers, params, hooks and proxies
        into the session's and re-reads environment settings on every call; the
        merges go through a runtime Protocol check that is slow on Python 3.11
        (`requests.utils.to_key_val_list`). That was 0.05-0.2 ms of CPU per
        request, two requests per new client (docs/performance.md). The session's
        settings are fixed once built (`trust_env` off, proxies read once), so they
        are applied here directly: the session's headers under ours, a copy of its
        cookies, its auth and its response hooks.
        """
        merged = CaseInsensitiveDict(self.session.headers)
        merged.update(headers)
        cookies = RequestsCookieJar()  # a copy, as Session.request sends
        cookies.update(self.session.cookies)
        prepared = requests.PreparedRequest()
        prepared.prepare(
            method=method.upper(),
            url=self.base_url + path,
            headers=merged,
            data=body.encode() if verbatim else {},
            json=None if verbatim else body,
            params=params or {},
            auth=self.session.auth,
            cookies=cookies,
            hooks=self.session.hooks,
        )
        return prepared

    def _note_retry(self, method: str, path: str, outcome: Any) -> None:
        error = outcome.exception() if outcome is not None else None
        cause = (
            "rate_limited"
            if isinstance(error, RateLimited)
            else "server_error"
            if isinstance(error, ServerError)
            else "unavailable"
        )
        RETRIES.labels(self.instance, cause).inc()
        log.info("keycloak %s %s failed (%s); retrying", method, path, error)
