"""Token cache, limits, paging, semantic diff, version parsing and error parsing."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests

from keycloak_controller.keycloak.auth import ClientCredentials, PasswordCredentials, TokenProvider
from keycloak_controller.keycloak.diff import diff, matches
from keycloak_controller.keycloak.errors import AuthenticationFailed, error_from_response
from keycloak_controller.keycloak.limits import ConcurrencyLimiter, RequestRateLimiter
from keycloak_controller.keycloak.models import ClientRepresentation, GroupRepresentation
from keycloak_controller.keycloak.paging import iter_pages
from keycloak_controller.keycloak.secrets import Secret
from keycloak_controller.keycloak.version import (
    ServerVersion,
    VersionUnknown,
    version_from_serverinfo,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_is_cached_and_refreshed_before_expiry(fake) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    provider = TokenProvider(
        requests.Session(), fake.url, PasswordCredentials("admin", Secret("pw")), clock=clock
    )
    first = provider.access_token()
    assert provider.access_token() is first and len(fake.token_requests) == 1
    clock.now += 44  # 16 s of 60 left: more than the 25 % margin
    assert provider.access_token() is first
    clock.now += 2  # 14 s left: less than 15 s, so renew via the refresh token
    assert provider.access_token().reveal() == "token-2"
    assert "grant_type=refresh_token" in fake.token_requests[-1]
    assert (provider.grants, provider.refreshes) == (1, 1)
    clock.now += 4000  # refresh token expired too: a full grant
    provider.access_token()
    assert "grant_type=password" in fake.token_requests[-1]


def test_client_credentials_grant(fake) -> None:  # type: ignore[no-untyped-def]
    provider = TokenProvider(requests.Session(), fake.url, ClientCredentials("op", Secret("cs")))
    provider.access_token()
    assert "grant_type=client_credentials" in fake.token_requests[0]
    assert "client_secret=cs" in fake.token_requests[0]


def test_bad_credentials_raise_without_the_password() -> None:
    session = requests.Session()

    def refuse(*args: Any, **kwargs: Any) -> requests.Response:
        r = requests.Response()
        r.status_code = 401
        r._content = b'{"error":"invalid_grant","error_description":"Invalid user credentials"}'
        return r

    session.post = refuse  # type: ignore[method-assign]
    provider = TokenProvider(
        session, "http://kc", PasswordCredentials("admin", Secret("topsecret"))
    )
    with pytest.raises(AuthenticationFailed) as err:
        provider.access_token()
    assert "Invalid user credentials" in str(err.value) and "topsecret" not in str(err.value)


def test_concurrency_limit_holds_under_load() -> None:
    limiter = ConcurrencyLimiter(3)

    def work() -> None:
        with limiter.slot():
            time.sleep(0.02)

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert limiter.peak == 3


def test_rate_limiter_spaces_requests() -> None:
    clock = Clock()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    limiter = RequestRateLimiter(10, burst=2, clock=clock, sleep=sleep)
    for _ in range(6):
        limiter.acquire()
    # 2 from the burst, then 4 more at 10/s: 0.4 s of waiting in total.
    assert sum(slept) == pytest.approx(0.4)


def test_iter_pages_walks_all_pages_and_stops_on_ignored_paging() -> None:
    data = list(range(7))
    calls: list[tuple[int, int]] = []

    def fetch(first: int, size: int) -> list[int]:
        calls.append((first, size))
        return data[first : first + size]

    assert list(iter_pages(fetch, 3)) == data
    assert calls == [(0, 3), (3, 3), (6, 3)]
    # A server that ignores first/max and returns exactly one page's worth.
    assert list(iter_pages(lambda first, size: [1, 2], 2)) == [1, 2]


def test_semantic_diff_ignores_defaults_ids_and_order() -> None:
    desired = ClientRepresentation(
        client_id="a", redirect_uris=["b", "a"], attributes={"pkce": "S256"}
    )
    actual = ClientRepresentation(
        id="uuid-1",
        client_id="a",
        redirect_uris=["a", "b"],
        attributes={"pkce": "S256", "server.default": "x"},
        enabled=True,
        protocol="openid-connect",
    )
    assert not diff(desired, actual)
    desired.attributes = {"pkce": "plain"}
    update = diff(desired, actual)
    assert update.changes == {"attributes": {"pkce": "plain"}}
    merged = update.apply_to(actual)
    assert merged.attributes == {"pkce": "plain", "server.default": "x"}
    assert merged.id == "uuid-1" and merged.enabled is True


def test_semantic_diff_matches_named_lists_by_name() -> None:
    desired = GroupRepresentation(
        name="p", sub_groups=[GroupRepresentation(name="b"), GroupRepresentation(name="a")]
    )
    actual = GroupRepresentation(
        name="p",
        sub_groups=[GroupRepresentation(id="2", name="a"), GroupRepresentation(id="1", name="b")],
    )
    assert not diff(desired, actual)
    assert not matches(["a", "b"], ["b", "a"], "attributesValues"), "ordered unless known unordered"
    assert matches(["a", "b"], ["b", "a"], "webOrigins")


def test_server_version_parsing() -> None:
    assert ServerVersion.parse("26.0.8.redhat-00001") == ServerVersion(26, 0, 8)
    assert ServerVersion.parse("24.0.5") < ServerVersion.parse("25.0.0")
    assert str(version_from_serverinfo({"systemInfo": {"version": "25.0.6"}})) == "25.0.6"
    with pytest.raises(VersionUnknown, match="set the version explicitly"):
        version_from_serverinfo({"themes": {}})


def test_error_parsing_handles_plain_text_and_field_errors() -> None:
    r = requests.Response()
    r.status_code = 400
    r._content = b'{"field":"username","errorMessage":"error-user-attribute-required"}'
    err = error_from_response(r, "POST", "/admin/realms/r/users")
    assert (
        str(err)
        == "POST /admin/realms/r/users: HTTP 400: error-user-attribute-required: field username"
    )
    r2 = requests.Response()
    r2.status_code = 502
    r2._content = b"Bad gateway"
    assert "Bad gateway" in str(error_from_response(r2, "GET", "/x"))


class _RecordingAdapter(requests.adapters.HTTPAdapter):
    """Answers every request itself and records what requests settled on for each."""

    def __init__(self) -> None:
        super().__init__()
        self.verify_seen: list[object] = []
        self.proxies_seen: list[object] = []
        self.headers_seen: list[dict[str, str]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.verify_seen.append(kwargs.get("verify"))
        self.proxies_seen.append(kwargs.get("proxies"))
        self.headers_seen.append(dict(request.headers))
        response = requests.Response()
        response.status_code = 200
        response.request = request
        response._content = (
            b'{"access_token":"t","expires_in":60}' if "token" in (request.url or "") else b"[]"
        )
        return response


@pytest.mark.parametrize("verify", [False, "/etc/keycloak-controller/ca.pem"])
def test_explicit_verify_beats_the_ca_bundle_environment(
    monkeypatch: pytest.MonkeyPatch, verify: bool | str
) -> None:
    # requests lets these variables override a session's verify (psf/requests#3829).
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/somewhere/else.pem")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/somewhere/else.pem")
    from keycloak_controller.keycloak.transport import KeycloakTransport

    transport = KeycloakTransport(
        "https://kc.example", PasswordCredentials("admin", Secret("pw")), verify=verify
    )
    recorder = _RecordingAdapter()
    transport.session.mount("https://", recorder)
    transport.request("GET", "/admin/realms")
    assert recorder.verify_seen == [verify, verify]  # the token request, then the call


def test_proxies_come_from_the_environment_but_netrc_never_replaces_the_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine kc.example login someone password hunter2\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    from keycloak_controller import USER_AGENT
    from keycloak_controller.keycloak.transport import KeycloakTransport

    transport = KeycloakTransport("https://kc.example", PasswordCredentials("admin", Secret("pw")))
    recorder = _RecordingAdapter()
    transport.session.mount("https://", recorder)
    transport.request("GET", "/admin/realms")
    call = recorder.headers_seen[-1]
    assert call["Authorization"] == "Bearer t"  # not Basic auth from the netrc file
    assert call["User-Agent"] == USER_AGENT
    assert recorder.proxies_seen[-1] == {"https": "http://proxy.internal:3128"}
