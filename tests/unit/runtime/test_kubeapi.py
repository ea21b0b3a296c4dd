"""KubeApi builds its requests itself: the same URL, headers and body as the
generated client would send, the bearer token re-read per request, errors as ApiException."""

from __future__ import annotations

import json
from typing import Any

import pytest
import urllib3
from kubernetes import client as k8s

from keycloak_controller.runtime.kubeapi import ApiException, KubeApi


class _Response:
    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.reason = "OK" if status < 400 else "Conflict"
        self.data = body
        self.released = False

    def release_conn(self) -> None:
        self.released = True


class _Pool:
    def __init__(self, response: _Response) -> None:
        self.response = response
        self.calls: list[dict[str, Any]] = []

    def urlopen(self, method: str, url: str, **kwargs: Any) -> _Response:
        self.calls.append({"method": method, "url": url, **kwargs})
        return self.response


def _api(response: _Response) -> tuple[KubeApi, _Pool, k8s.Configuration]:
    config = k8s.Configuration()
    config.host = "https://apiserver:6443"
    config.api_key = {"BearerToken": "t0"}
    config.api_key_prefix = {"BearerToken": "Bearer"}
    api_client = k8s.ApiClient(config)
    api_client.user_agent = "keycloak-controller/test"
    pool = _Pool(response)
    api_client.rest_client.pool_manager = pool
    return KubeApi(api_client), pool, config


def test_a_patch_carries_the_generated_clients_headers_and_a_json_body() -> None:
    api, pool, _ = _api(_Response(200, b'{"metadata": {"name": "x"}}'))
    body = {"metadata": {"resourceVersion": "7"}, "status": {"ready": True}}
    result = api.request(
        "PATCH",
        "/apis/g/v1/namespaces/ns/things/x/status",
        body=body,
        content_type="application/merge-patch+json",
    )
    assert result == {"metadata": {"name": "x"}}
    call = pool.calls[0]
    assert call["method"] == "PATCH"
    assert call["url"] == "https://apiserver:6443/apis/g/v1/namespaces/ns/things/x/status"
    assert call["headers"] == {
        "Accept": "application/json",
        "User-Agent": "keycloak-controller/test",
        "Content-Type": "application/merge-patch+json",
        "authorization": "Bearer t0",
    }
    assert json.loads(call["body"]) == body
    assert call["preload_content"] is False
    timeout = call["timeout"]
    assert isinstance(timeout, urllib3.Timeout)
    assert (timeout.connect_timeout, timeout.read_timeout) == (10.0, 30.0)
    assert pool.response.released


def test_query_values_are_encoded_as_the_generated_client_encodes_them() -> None:
    api, pool, _ = _api(_Response(200, b"{}"))
    query = {
        "labelSelector": "a=b,c in (d e)",
        "watch": True,
        "limit": 500,
        "continue": "x/y+z==",
        "resourceVersion": None,  # dropped
    }
    api.get("/api/v1/secrets", **query)
    sent = pool.calls[0]["url"].split("?", 1)[1]
    expected = k8s.ApiClient().parameters_to_url_query(
        [(k, v) for k, v in query.items() if v is not None], None
    )
    assert sent == expected
    assert pool.calls[0]["body"] is None
    assert "Content-Type" not in pool.calls[0]["headers"]


def test_a_string_body_is_sent_as_it_is() -> None:
    api, pool, _ = _api(_Response(200, b"{}"))
    api.request("PATCH", "/x", body='{"apply": 1}', content_type="application/apply-patch+yaml")
    assert pool.calls[0]["body"] == '{"apply": 1}'


def test_the_bearer_token_is_read_per_request_so_a_rotated_token_is_used() -> None:
    api, pool, config = _api(_Response(200, b"{}"))

    def refresh(configuration: k8s.Configuration) -> None:
        configuration.api_key = {"BearerToken": f"t{len(pool.calls)}"}

    config.refresh_api_key_hook = refresh
    api.get("/a")
    api.get("/b")
    assert [c["headers"]["authorization"] for c in pool.calls] == ["Bearer t0", "Bearer t1"]


def test_an_error_status_is_an_api_exception_with_the_body() -> None:
    api, _, _ = _api(_Response(409, b'{"reason": "Conflict"}'))
    with pytest.raises(ApiException) as raised:
        api.request("PATCH", "/x", body={})
    assert raised.value.status == 409
    assert raised.value.body == '{"reason": "Conflict"}'
